using System.Diagnostics;
using System.Threading.Channels;
using Toxiproxy.Toxics;

namespace Toxiproxy;

/// <summary>
/// One toxic's place in a link: its input channel, where it writes, its per-connection state and
/// toxicity draw, and the interrupt used to pause it while the chain is rebuilt.
/// </summary>
internal sealed class ToxicStub
{
    private readonly Link _link;
    private CancellationTokenSource? _interrupt;
    private readonly Queue<StreamChunk> _pending = new();
    private Task _running = Task.CompletedTask;

    public ToxicStub(Link link, ToxicDefinition? toxic, ChannelWriter<StreamChunk> output)
    {
        _link = link;
        Toxic = toxic;
        Output = output;
        Input = Link.NewChannel();
        State = toxic?.Toxic is IStatefulToxic stateful ? stateful.NewState() : null;
    }

    /// <summary>Null for the hidden no-op stub at the head of the chain.</summary>
    public ToxicDefinition? Toxic { get; private set; }

    public Channel<StreamChunk> Input { get; }

    public ChannelWriter<StreamChunk> Output { get; set; }

    public object? State { get; }

    public Random Random { get; } = new();

    /// <summary>
    /// Whether the toxic applies this time: drawn each time the stub starts, as Toxiproxy's
    /// ToxicStub.Run draws rand.Float32() &lt; toxicity each time it runs the toxic.
    /// </summary>
    public bool Applies { get; private set; }

    /// <summary>True once <see cref="ReadAsync"/> saw the end of the input stream.</summary>
    public bool InputEnded { get; private set; }

    /// <summary>Cancelled when the chain is being rebuilt or the connection closes.</summary>
    public CancellationToken Interrupted { get; private set; }

    /// <summary>Cancelled only when the connection closes; writes are not interrupted so no chunk is lost.</summary>
    public CancellationToken ConnectionClosed => _link.ConnectionClosed;

    private void Draw() => Applies = Random.Shared.NextSingle() < (Toxic?.Toxicity ?? 1f);

    public void Replace(ToxicDefinition toxic) => Toxic = toxic;

    /// <summary>The next chunk, or null when interrupted or the input ended (the pipe should return).</summary>
    public async ValueTask<StreamChunk?> ReadAsync()
    {
        var reader = Input.Reader;
        while (true)
        {
            if (Interrupted.IsCancellationRequested)
            {
                return null;
            }

            if (reader.TryRead(out var chunk))
            {
                return chunk;
            }

            try
            {
                if (!await reader.WaitToReadAsync(Interrupted).ConfigureAwait(false))
                {
                    InputEnded = true;
                    return null;
                }
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Like <see cref="ReadAsync"/>, but gives up after <paramref name="limit"/> (null: never) and
    /// says which of the four things happened. The chunk itself is not returned: only a toxic that
    /// drops data needs this.
    /// </summary>
    public async ValueTask<ReadResult> ReadWithin(TimeSpan? limit)
    {
        if (limit is null)
        {
            return await ReadAsync().ConfigureAwait(false) is not null ? ReadResult.Chunk : InputEnded ? ReadResult.Ended : ReadResult.Interrupted;
        }

        var reader = Input.Reader;
        using var within = CancellationTokenSource.CreateLinkedTokenSource(Interrupted);
        within.CancelAfter(limit.Value);
        while (true)
        {
            if (Interrupted.IsCancellationRequested)
            {
                return ReadResult.Interrupted;
            }

            if (reader.TryRead(out _))
            {
                return ReadResult.Chunk;
            }

            try
            {
                if (!await reader.WaitToReadAsync(within.Token).ConfigureAwait(false))
                {
                    InputEnded = true;
                    return ReadResult.Ended;
                }
            }
            catch (OperationCanceledException)
            {
                return Interrupted.IsCancellationRequested ? ReadResult.Interrupted : ReadResult.TimedOut;
            }
        }
    }

    /// <summary>
    /// Passes a chunk on. An interrupt cancels a write that is waiting for room (so rebuilding the
    /// chain never waits on a slow consumer); the chunk is then kept and sent first on restart.
    /// Never fails because of an interrupt: once interrupted, every further chunk is kept too, in
    /// order, and the toxic is expected to notice the interrupt at its next read or delay.
    /// </summary>
    public async ValueTask WriteAsync(StreamChunk chunk)
    {
        // Why this must not throw on an interrupt: a toxic that cuts a chunk into pieces (slicer,
        // bandwidth) writes them one by one and holds the rest of the chunk only in its own
        // locals. When an interrupt (any toxic added or removed on this stream) cancelled a write
        // that was waiting for room, the exception unwound the toxic past those locals and the
        // rest of the chunk was silently dropped: bytes lost mid-stream while toxics churned.
        // Keeping the write and returning lets the toxic hand on the rest through here as well.
        // Anything already kept must also go first, or a later piece would overtake it.
        if (_pending.Count == 0 && !Interrupted.IsCancellationRequested)
        {
            try
            {
                await PassOnAsync(chunk).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!ConnectionClosed.IsCancellationRequested)
            {
            }
        }

        _pending.Enqueue(chunk);
    }

    /// <summary>
    /// Writes a chunk to <see cref="Output"/>, waiting for room until interrupted. Never hands the
    /// chunk to a cancellable write: a bounded channel's WriteAsync, cancelled while it waited,
    /// was seen to throw and still deliver the chunk, which the caller then kept and sent again
    /// (a slicer piece arrived twice under churn). Waiting for room and then TryWrite cannot do
    /// that: this stub is the channel's only writer, so room once seen stays until it writes.
    /// </summary>
    private async ValueTask PassOnAsync(StreamChunk chunk)
    {
        while (!Output.TryWrite(chunk))
        {
            if (!await Output.WaitToWriteAsync(Interrupted).ConfigureAwait(false))
            {
                throw new ChannelClosedException();
            }
        }
    }

    /// <summary>
    /// Chunks that must go out before anything this stub reads next: those it could not write
    /// when interrupted, after <paramref name="earlier"/> (which were queued before them).
    /// </summary>
    public void Prepend(IEnumerable<StreamChunk> earlier)
    {
        var all = earlier.Concat(_pending).ToList();
        _pending.Clear();
        foreach (var chunk in all)
        {
            _pending.Enqueue(chunk);
        }
    }

    /// <summary>Takes this stub's unsent chunks and its unread input, in stream order (the stub is stopped).</summary>
    public List<StreamChunk> TakeAll()
    {
        var all = _pending.ToList();
        _pending.Clear();
        while (Input.Reader.TryRead(out var chunk))
        {
            all.Add(chunk);
        }

        return all;
    }

    /// <summary>Waits for <paramref name="delay"/>; false when interrupted first.</summary>
    public async Task<bool> DelayAsync(TimeSpan delay)
    {
        // Timers count whole milliseconds and may fire up to one early; a toxic must never be
        // faster than its settings, so wait again for whatever is left.
        var due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (Interrupted.IsCancellationRequested)
            {
                return false;
            }

            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (left <= TimeSpan.Zero)
            {
                return true;
            }

            try
            {
                await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, Interrupted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Waits <paramref name="delay"/> whatever chain changes happen meanwhile; only the connection
    /// closing cuts it short. For a toxic that has <see cref="Doom"/>ed its link.
    /// </summary>
    public async Task DelayUninterruptedAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, ConnectionClosed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>From now on the connection will close: chain changes leave this link alone.</summary>
    public void Doom() => _link.RequestClose();

    /// <summary>Ends this stream after whatever was already written, then closes the connection.</summary>
    public void Close()
    {
        _link.RequestClose();
        Output.TryComplete();
    }

    public void Start()
    {
        _interrupt = CancellationTokenSource.CreateLinkedTokenSource(_link.ConnectionClosed);
        Interrupted = _interrupt.Token;
        Draw();
        var toxic = Applies && Toxic is not null ? Toxic.Toxic : NoopToxic.Instance;
        _running = Task.Run(() => RunAsync(toxic));
    }

    private async Task RunAsync(IToxic toxic)
    {
        try
        {
            while (_pending.TryPeek(out var chunk))
            {
                await PassOnAsync(chunk).ConfigureAwait(false);
                _pending.Dequeue();
            }

            await toxic.PipeAsync(this).ConfigureAwait(false);
            if (!Interrupted.IsCancellationRequested)
            {
                // The input ended (or the toxic closed the stream): pass the end along.
                Output.TryComplete();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        catch (Exception)
        {
            // A toxic that fails has broken its stream; the connection cannot go on without it.
            _link.CloseConnection();
        }
    }

    /// <summary>Stops the pipe and waits until it has forwarded what it held.</summary>
    public async Task InterruptAsync()
    {
        _interrupt?.Cancel();
        await _running.ConfigureAwait(false);
        _interrupt?.Dispose();
        _interrupt = null;
    }
}

/// <summary>What <see cref="ToxicStub.ReadWithin"/> saw.</summary>
internal enum ReadResult
{
    Chunk,
    TimedOut,
    Ended,
    Interrupted,
}
