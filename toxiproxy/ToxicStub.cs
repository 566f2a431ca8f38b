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
    private Task _running = Task.CompletedTask;

    public ToxicStub(Link link, ToxicDefinition? toxic, ChannelWriter<StreamChunk> output)
    {
        _link = link;
        Toxic = toxic;
        Output = output;
        Input = Link.NewChannel();
        State = toxic?.Toxic is IStatefulToxic stateful ? stateful.NewState() : null;
        Draw();
    }

    /// <summary>Null for the hidden no-op stub at the head of the chain.</summary>
    public ToxicDefinition? Toxic { get; private set; }

    public Channel<StreamChunk> Input { get; }

    public ChannelWriter<StreamChunk> Output { get; set; }

    public object? State { get; }

    public Random Random { get; } = new();

    /// <summary>Whether the toxic applies on this connection (drawn once per connection and toxic).</summary>
    public bool Applies { get; private set; }

    /// <summary>True once <see cref="ReadAsync"/> saw the end of the input stream.</summary>
    public bool InputEnded { get; private set; }

    /// <summary>Cancelled when the chain is being rebuilt or the connection closes.</summary>
    public CancellationToken Interrupted { get; private set; }

    /// <summary>Cancelled only when the connection closes; writes are not interrupted so no chunk is lost.</summary>
    public CancellationToken ConnectionClosed => _link.ConnectionClosed;

    private void Draw()
    {
        var toxicity = Toxic?.Toxicity ?? 1.0;
        Applies = toxicity > 0 && Random.Shared.NextDouble() < toxicity;
    }

    public void Replace(ToxicDefinition toxic)
    {
        Toxic = toxic;
        Draw();
    }

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

    public ValueTask WriteAsync(StreamChunk chunk) => Output.WriteAsync(chunk, ConnectionClosed);

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

    /// <summary>Ends this stream after whatever was already written, then closes the connection.</summary>
    public void Close()
    {
        _link.RequestClose();
        Output.TryComplete();
    }

    /// <summary>Closes the connection abortively at once (TCP RST, unsent data discarded).</summary>
    public void Abort() => _link.Abort();

    public void Start()
    {
        _interrupt = CancellationTokenSource.CreateLinkedTokenSource(_link.ConnectionClosed);
        Interrupted = _interrupt.Token;
        var toxic = Applies && Toxic is not null ? Toxic.Toxic : NoopToxic.Instance;
        _running = Task.Run(() => RunAsync(toxic));
    }

    private async Task RunAsync(IToxic toxic)
    {
        try
        {
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
            _link.Abort();
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
