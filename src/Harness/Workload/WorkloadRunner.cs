using System.Collections.Concurrent;
using Chaos.Harness.Checking;
using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>
/// Runs the simulated application: <see cref="WorkloadSpec.Workers"/> request loops per instance, each
/// request recorded in the <see cref="Ledger"/>. The harness never cancels a request: timeouts are the
/// profile's business. It only stops waiting after <see cref="Timing.HangAfter"/> and calls it hung;
/// the abandoned request keeps its connection, as a stuck request in a real service would, until teardown.
/// </summary>
internal sealed class WorkloadRunner : IAsyncDisposable
{
    private const int MaxErrorNotes = 40;

    private readonly AppClient _client;
    private readonly Ledger _ledger;
    private readonly WorkloadSpec _spec;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _abandoned = [];
    private readonly List<Task> _loops = [];
    private volatile TaskCompletionSource _open = Opened();
    private int _busy;
    private int _errorNotes;

    public WorkloadRunner(AppClient client, Ledger ledger, WorkloadSpec spec, TimeProvider time)
    {
        _client = client;
        _ledger = ledger;
        _spec = spec;
        _time = time;
    }

    public Hooks Hooks { get; } = new();

    public void Start()
    {
        for (var instance = 0; instance < _spec.Instances; instance++)
        {
            for (var worker = 0; worker < _spec.Workers; worker++)
            {
                var (i, w) = (instance, worker);
                _loops.Add(Task.Run(() => LoopAsync(i, w)));
            }
        }
        _ledger.Note("phase", $"workload started: {_spec.Instances} x {_spec.Workers} workers, {_spec.Mix}");
    }

    /// <summary>Stops new requests and waits (bounded) until none is in flight: every pooled connection is idle.</summary>
    public async Task PauseAsync(CancellationToken ct)
    {
        await HoldBackAsync(0, ct);
        _ledger.Note("phase", "workload paused (pool idle)");
    }

    /// <summary>
    /// From inside a hook: stops new requests and waits (bounded) until only the caught request is in
    /// flight, so a fault strikes one transaction and no other request races it through a breaking pool.
    /// </summary>
    public async Task IsolateAsync(CancellationToken ct)
    {
        await HoldBackAsync(1, ct);
        _ledger.Note("phase", "other requests held back: one transaction is struck alone");
    }

    private async Task HoldBackAsync(int inFlight, CancellationToken ct)
    {
        _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = _time.GetTimestamp();
        while (Volatile.Read(ref _busy) > inFlight)
        {
            if (_time.GetElapsedTime(start) > Timing.HangAfter)
            {
                _ledger.Note("note", $"{_busy} requests still in flight when the workload gave up waiting for them");
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, ct);
        }
    }

    public void Resume()
    {
        _ledger.Note("phase", "workload resumed");
        _open.TrySetResult();
    }

    /// <summary>Runs <paramref name="count"/> extra requests of <paramref name="kind"/> at once on every instance, and waits for them.</summary>
    public async Task BurstAsync(OpKind kind, int count)
    {
        _ledger.Note("phase", $"burst: {count} concurrent {kind} requests per instance");
        var burst = new List<Task>();
        for (var instance = 0; instance < _spec.Instances; instance++)
        {
            for (var n = 0; n < count; n++)
            {
                var (i, w) = (instance, 1000 + n);
                Interlocked.Increment(ref _busy);
                burst.Add(Task.Run(() => RunOneAsync(kind, i, w), CancellationToken.None));
            }
        }
        await Task.WhenAll(burst);
    }

    /// <summary>Stops invoking requests and waits for the loops; each in-flight request is bounded by the hang limit.</summary>
    public async Task StopAsync()
    {
        _ledger.MarkStop();
        await _stop.CancelAsync();
        _open.TrySetResult();
        await Task.WhenAll(_loops);
    }

    /// <summary>Waits (bounded) for requests that were called hung to end, after teardown has closed their sockets.</summary>
    public async Task DrainAbandonedAsync(TimeSpan bound)
    {
        var all = Task.WhenAll(_abandoned);
        await Task.WhenAny(all, Task.Delay(bound, _time));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }

    private async Task LoopAsync(int instance, int worker)
    {
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            await _open.Task;
            // Count ourselves busy before looking at the gate again, so a pause either sees us or stops us.
            Interlocked.Increment(ref _busy);
            if (!_open.Task.IsCompleted || _stop.IsCancellationRequested)
            {
                Interlocked.Decrement(ref _busy);
                continue;
            }
            var kind = (_spec.Mix, n++ % 2) switch
            {
                (WorkMix.SessionState, _) => OpKind.SessionState,
                (WorkMix.LargeReads, 0) => OpKind.LargeRead,
                (_, 0) => OpKind.Read,
                _ => OpKind.Write,
            };
            await RunOneAsync(kind, instance, worker);
            try
            {
                await Task.Delay(Timing.ThinkTime, _time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RunOneAsync(OpKind kind, int instance, int worker)
    {
        // The caller has counted this request busy.
        var op = _ledger.Invoke(kind, worker, instance, kind == OpKind.Write ? Guid.NewGuid() : null);
        var request = ExecuteAsync(op, worker);
        var finished = await Task.WhenAny(request, Task.Delay(Timing.HangAfter, _time));
        Interlocked.Decrement(ref _busy);
        if (finished != request && op.TryComplete(Outcome.Hung, _ledger.NowMs, $"no answer after {Timing.HangAfter.TotalSeconds:0} s"))
        {
            _ledger.Note("hung", $"op {op.Id} ({kind}) has not returned after {Timing.HangAfter.TotalSeconds:0} s");
            _abandoned.Add(request);
        }
    }

    private async Task ExecuteAsync(OpRecord op, int worker)
    {
        try
        {
            await _client.ExecuteAsync(op, (connection, o, ct) => Body(connection, o, worker, ct), CancellationToken.None);
            op.TryComplete(Outcome.Ok, _ledger.NowMs);
            if (op.IntegrityViolation is { } violation)
            {
                _ledger.Note("corrupted", $"op {op.Id}: {violation}");
            }
        }
        catch (Exception e)
        {
            var outcome = OutcomeClassifier.Classify(op.Stage);
            var state = OutcomeClassifier.SqlState(e);
            if (op.TryComplete(outcome, _ledger.NowMs, OutcomeClassifier.Describe(e), state)
                && Interlocked.Increment(ref _errorNotes) <= MaxErrorNotes)
            {
                _ledger.Note(outcome == Outcome.Unknown ? "unknown" : "error",
                    $"op {op.Id} ({op.Kind}, {op.Stage}): {OutcomeClassifier.Describe(e)}", state);
            }
        }
    }

    private Task Body(NpgsqlConnection connection, OpRecord op, int worker, CancellationToken ct) => op.Kind switch
    {
        OpKind.Read => Requests.ReadAsync(connection, op, ct),
        OpKind.Write => Requests.WriteAsync(connection, op, Hooks, ct),
        OpKind.LargeRead => Requests.LargeReadAsync(connection, op, ct),
        OpKind.SessionState => Requests.SessionStateAsync(connection, op, worker % Math.Max(1, _spec.Workers), ct),
        OpKind.Hold => Requests.HoldAsync(connection, op, _time, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op.Kind, null),
    };

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
