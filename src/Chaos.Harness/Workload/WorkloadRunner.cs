using Chaos.Harness.History;

namespace Chaos.Harness.Workload;

/// <summary>
/// Runs the simulated application: <see cref="WorkloadSpec.Workers"/> request loops per instance, each
/// request recorded in the history. The harness never cancels a request: timeouts are the profile's
/// business. It only stops waiting after <see cref="Timing.HangAfter"/> and calls it hung; the abandoned
/// request keeps its connection, as a stuck request in a real service would, until teardown.
/// </summary>
internal sealed class WorkloadRunner : IAsyncDisposable
{
    private const int MaxErrorNotes = 40;
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(5);
    // A worker alternates two kinds of request: warm once both have succeeded.
    private const int WarmSuccesses = 2;

    private readonly IAppDriver _driver;
    private readonly HistoryRecorder _history;
    private readonly WorkloadSpec _spec;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _abandoned = [];
    private readonly List<Task> _loops = [];
    private volatile TaskCompletionSource _open = Opened();
    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int[] _warmSuccesses = [];
    private int _coldWorkers;
    private int _busy;
    private int _errorNotes;

    public WorkloadRunner(IAppDriver driver, HistoryRecorder history, WorkloadSpec spec)
    {
        _driver = driver;
        _history = history;
        _spec = spec;
    }

    public Hooks Hooks => _driver.Hooks;

    public void Start()
    {
        _warmSuccesses = new int[_spec.Instances * _spec.Workers];
        _coldWorkers = _warmSuccesses.Length;
        for (var instance = 0; instance < _spec.Instances; instance++)
        {
            for (var worker = 0; worker < _spec.Workers; worker++)
            {
                var (i, w) = (instance, worker);
                _loops.Add(Task.Run(() => LoopAsync(i, w)));
            }
        }
        _history.Note(TimelineKinds.Phase, $"workload started: {_spec.Instances} x {_spec.Workers} workers, {_spec.Mix}");
    }

    /// <summary>
    /// Completes once every worker has seen its first requests succeed (one of each kind it alternates), or
    /// returns false after <paramref name="bound"/>. A fault that strikes before then would find an
    /// application still starting (EF Core builds its model and compiles its first queries in seconds on a
    /// loaded machine) and judge a start-up rather than the settings.
    /// </summary>
    public async Task<bool> WarmedUpAsync(TimeSpan bound, CancellationToken ct)
    {
        try
        {
            await _warm.Task.WaitAsync(bound, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Stops new requests and waits (bounded) until none is in flight: every pooled connection is idle.</summary>
    public async Task PauseAsync(CancellationToken ct)
    {
        await HoldBackAsync(0, ct);
        _history.Note(TimelineKinds.Phase, "workload paused (pool idle)");
    }

    /// <summary>
    /// From inside a hook: stops new requests and waits (bounded) until only the caught request is in
    /// flight, so a fault strikes one transaction and no other request races it through a breaking pool.
    /// </summary>
    public async Task IsolateAsync(CancellationToken ct)
    {
        await HoldBackAsync(1, ct);
        _history.Note(TimelineKinds.Phase, "other requests held back: one transaction is struck alone");
    }

    public void Resume()
    {
        if (_open.Task.IsCompleted)
        {
            return;
        }
        _history.Note(TimelineKinds.Phase, "workload resumed");
        _open.TrySetResult();
    }

    /// <summary>Runs <paramref name="count"/> extra requests of <paramref name="kind"/> at once on every instance, and waits for them.</summary>
    public async Task BurstAsync(OpKind kind, int count)
    {
        _history.Note(TimelineKinds.Phase, $"burst: {count} concurrent {kind} requests per instance");
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
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _history.MarkStop();
        await _stop.CancelAsync();
        _open.TrySetResult();
        await Task.WhenAll(_loops);
    }

    /// <summary>Waits (bounded) for requests that were called hung to end, after teardown has closed their sockets.</summary>
    public async Task DrainAbandonedAsync(TimeSpan bound)
    {
        Task all;
        lock (_abandoned)
        {
            all = Task.WhenAll(_abandoned);
        }
        await Task.WhenAny(all, Task.Delay(bound));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task HoldBackAsync(int inFlight, CancellationToken ct)
    {
        _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = _history.NowMs;
        while (Volatile.Read(ref _busy) > inFlight)
        {
            if (_history.NowMs - start > Timing.HangAfter.TotalMilliseconds)
            {
                _history.Note(TimelineKinds.Note, $"{_busy} requests still in flight when the workload gave up waiting for them");
                break;
            }
            await Task.Delay(PollEvery, ct);
        }
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
                (WorkMix.ReadYourWrites, 1) => OpKind.ReadYourWrite,
                (_, 0) => OpKind.Read,
                _ => OpKind.Write,
            };
            if (await RunOneAsync(kind, instance, worker) && ++_warmSuccesses[instance * _spec.Workers + worker] == WarmSuccesses
                && Interlocked.Decrement(ref _coldWorkers) == 0)
            {
                _warm.TrySetResult();
            }
            try
            {
                await Task.Delay(Timing.ThinkTime, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Runs one request; true when it succeeded within the hang limit.</summary>
    private async Task<bool> RunOneAsync(OpKind kind, int instance, int worker)
    {
        // The caller has counted this request busy.
        var writeId = kind is OpKind.Write or OpKind.ReadYourWrite ? Guid.NewGuid() : (Guid?)null;
        var request = new Request
        {
            Id = _history.Invoke(kind, worker, instance, writeId),
            Kind = kind,
            Worker = worker,
            Instance = instance,
            WriteId = writeId,
            Tenant = worker % Math.Max(1, _spec.Workers),
        };
        var running = ExecuteAsync(request);
        var finished = await Task.WhenAny(running, Task.Delay(Timing.HangAfter));
        Interlocked.Decrement(ref _busy);
        if (finished != running && _history.Complete(request.Id, Outcome.Hung, request.Attempts, $"no answer after {Timing.HangAfter.TotalSeconds:0} s"))
        {
            _history.Note(TimelineKinds.Hung, $"op {request.Id} ({kind}) has not returned after {Timing.HangAfter.TotalSeconds:0} s");
            lock (_abandoned)
            {
                _abandoned.Add(running);
            }
        }
        return finished == running && await running;
    }

    private async Task<bool> ExecuteAsync(Request request)
    {
        try
        {
            await _driver.ExecuteAsync(request, CancellationToken.None);
            _history.Complete(request.Id, Outcome.Ok, request.Attempts, violation: request.Violation);
            if (request.Violation is { } violation)
            {
                _history.Note(TimelineKinds.Corrupted, $"op {request.Id}: {violation}");
            }
            return true;
        }
        catch (Exception e)
        {
            var outcome = OutcomeClassifier.Classify(request.Stage);
            var state = OutcomeClassifier.SqlState(e);
            if (_history.Complete(request.Id, outcome, request.Attempts, OutcomeClassifier.Describe(e), state)
                && Interlocked.Increment(ref _errorNotes) <= MaxErrorNotes)
            {
                _history.Note(outcome == Outcome.Unknown ? TimelineKinds.Unknown : TimelineKinds.Error,
                    $"op {request.Id} ({request.Kind}, {request.Stage}): {OutcomeClassifier.Describe(e)}: {OutcomeClassifier.Message(e)}", state);
            }
            return false;
        }
        finally
        {
            request.End();
        }
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
