using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Toxiproxy.Toxics;

namespace Toxiproxy;

/// <summary>
/// One direction of one proxied connection: reads from <c>source</c>, passes the bytes through the
/// proxy's toxics for this direction, writes them to <c>dest</c>.
/// <code>
///                 chain mode (once a toxic has been on this stream)
///   source ──read──▶ [noop] ──▶ [toxic 1] ──▶ ... ──▶ [toxic n] ──▶ output ──write──▶ dest
///                    stub 0      stub 1                stub n        task
///
///                 fast path (no toxic yet)
///   source ──read──────────────────────write──▶ dest     (no channel hop; with TOXIPROXY_SPLICE=1
///                                                         on Linux splice(2) moves the bytes
///                                                         without a user copy)
/// </code>
/// Each arrow between stubs is a bounded channel. Adding a toxic interrupts the last stub, splices
/// the new stub between it and the output, and restarts it; removing one interrupts it and its
/// predecessor, hands what it held or had not read yet to the predecessor (sent first on
/// restart), and joins the two neighbours. An interrupt also cancels a write waiting for room,
/// keeping the chunk, so a chain change never waits on a slow consumer or a slow toxic.
/// The no-op stub at the head means the reader never has to pause. The reader switches from the
/// fast path to the chain between two reads, after its last direct write has completed, so no
/// byte is lost or reordered. A link stays in chain mode once it has entered it.
/// All chain changes run under the proxy's toxic-collection lock.
/// </summary>
internal sealed class Link
{
    private const int BufferSize = 256 * 1024;
    private const int ChannelCapacity = 32;

    /// <summary>Plenty for a pool's worth of connections per proxy; past it, links fall back to async reads.</summary>
    private const int MaxDedicatedThreads = 512;

    /// <summary>A blocking reader needs little stack: one frame of socket calls.</summary>
    private const int DedicatedStackSize = 256 * 1024;

    /// <summary>A blocking reader's buffer: a database round trip's messages fit many times over.</summary>
    private const int DedicatedBufferSize = 64 * 1024;

    private static int s_dedicatedThreads;

    private readonly ProxyConnection _connection;
    private readonly Socket _source;
    private readonly Socket _dest;
    private readonly SemaphoreSlim _chainLock;
    private List<ToxicStub>? _stubs;
    private ChannelWriter<StreamChunk>? _head;
    private Channel<StreamChunk>? _output;
    private volatile bool _chained;
    private volatile bool _closeRequested;
    private bool _inputEnded;

    public Link(ProxyConnection connection, StreamDirection direction, Socket source, Socket dest, SemaphoreSlim chainLock)
    {
        _connection = connection;
        Direction = direction;
        _source = source;
        _dest = dest;
        _chainLock = chainLock;
    }

    public StreamDirection Direction { get; }

    public CancellationToken ConnectionClosed => _connection.Closed;

    /// <summary>Chain changes are pointless once the stream is ending or the connection closing.</summary>
    private bool Ending => _inputEnded || _closeRequested || ConnectionClosed.IsCancellationRequested;

    internal static Channel<StreamChunk> NewChannel() =>
        Channel.CreateBounded<StreamChunk>(new BoundedChannelOptions(ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    public void RequestClose() => _closeRequested = true;

    public void CloseConnection() => _connection.Close();

    /// <summary>Builds the chain for toxics present when the connection opens. Caller holds the chain lock.</summary>
    public void Initialize(IReadOnlyList<ToxicDefinition> toxics)
    {
        if (toxics.Count > 0)
        {
            BuildChain(toxics);
        }
    }

    private void BuildChain(IReadOnlyList<ToxicDefinition> toxics)
    {
        _output = NewChannel();
        var stubs = new List<ToxicStub> { new(this, null, _output.Writer) };
        foreach (var toxic in toxics)
        {
            var stub = new ToxicStub(this, toxic, _output.Writer);
            stubs[^1].Output = stub.Input.Writer;
            stubs.Add(stub);
        }

        _stubs = stubs;
        _head = stubs[0].Input.Writer;
        foreach (var stub in stubs)
        {
            stub.Start();
        }

        _ = Task.Run(OutputLoopAsync);
        _chained = true;
    }

    public async Task AddToxicAsync(ToxicDefinition toxic)
    {
        if (Ending)
        {
            return;
        }

        if (_stubs is null)
        {
            BuildChain([toxic]);
            return;
        }

        var last = _stubs[^1];
        await last.InterruptAsync().ConfigureAwait(false);
        if (_closeRequested)
        {
            // The last toxic closed the stream meanwhile: nothing to splice into.
            return;
        }

        var stub = new ToxicStub(this, toxic, last.Output);
        last.Output = stub.Input.Writer;
        _stubs.Add(stub);
        stub.Start();
        last.Start();
    }

    public async Task UpdateToxicAsync(ToxicDefinition old, ToxicDefinition updated)
    {
        var index = IndexOf(old);
        if (Ending || index < 1)
        {
            return;
        }

        var stub = _stubs![index];
        await stub.InterruptAsync().ConfigureAwait(false);
        if (_closeRequested)
        {
            return;
        }

        stub.Replace(updated);
        stub.Start();
    }

    public async Task RemoveToxicAsync(ToxicDefinition toxic)
    {
        // Unlike adding or changing, removing still matters after the input ended: the toxic may
        // be the one holding the end back (slow_close), and Toxiproxy lets the end through then.
        var index = IndexOf(toxic);
        if (_closeRequested || ConnectionClosed.IsCancellationRequested || index < 1)
        {
            return;
        }

        var previous = _stubs![index - 1];
        var removed = _stubs[index];
        await removed.InterruptAsync().ConfigureAwait(false);
        if (toxic.Toxic is ICleanupToxic cleanup)
        {
            // Toxiproxy's RemoveToxic: the cleanup runs whether or not the toxic applied on this
            // connection (toxicity), and if it closed the stub the connection ends here.
            cleanup.Cleanup(removed);
        }

        if (_closeRequested)
        {
            return;
        }

        await previous.InterruptAsync().ConfigureAwait(false);

        // Whatever the removed toxic held or had not taken yet still belongs to the stream,
        // ahead of what the previous stub could not hand over.
        previous.Prepend(removed.TakeAll());
        previous.Output = removed.Output;
        _stubs.RemoveAt(index);
        previous.Start();
    }

    private int IndexOf(ToxicDefinition toxic) => _stubs?.FindIndex(s => ReferenceEquals(s.Toxic, toxic)) ?? -1;

    /// <summary>True when a new toxic-free link would get a dedicated thread (see <see cref="Start"/>).</summary>
    public static bool DedicatedThreadsAvailable => !Splice.Enabled && Volatile.Read(ref s_dedicatedThreads) < MaxDedicatedThreads;

    /// <summary>
    /// Starts the reader. A link with no toxic yet gets a thread of its own that blocks in
    /// recv(2) and send(2): the kernel wakes exactly that thread when bytes arrive, with no event
    /// loop and no thread-pool hop between the read and the write. For small request/response
    /// traffic (a database's round trips) that hop was most of the proxy's cost: see the
    /// throughput section of toxiproxy/README.md. A link with toxics, or beyond
    /// <see cref="MaxDedicatedThreads"/>, reads with async calls.
    /// </summary>
    public void Start()
    {
        if (!_chained && !Splice.Enabled && Interlocked.Increment(ref s_dedicatedThreads) <= MaxDedicatedThreads)
        {
            new Thread(RunBlocking, DedicatedStackSize) { IsBackground = true, Name = $"toxiproxy {Direction.ToWire()}" }.UnsafeStart();
            return;
        }

        if (!_chained && !Splice.Enabled)
        {
            Interlocked.Decrement(ref s_dedicatedThreads);
        }

        _ = Task.Run(RunAsync);
    }

    /// <summary>
    /// The fast path on a dedicated thread: blocking reads and writes until the stream ends, the
    /// connection closes, or a toxic arrives. A toxic that arrives while the thread waits in recv
    /// is seen after the read: that chunk goes into the chain, and the async reader takes over
    /// (all earlier chunks were written directly and completely, so nothing is reordered).
    /// </summary>
    private void RunBlocking()
    {
        var buffer = new byte[DedicatedBufferSize];
        try
        {
            while (true)
            {
                var read = _source.Receive(buffer, SocketFlags.None);
                if (read == 0)
                {
                    EndInputAsync().GetAwaiter().GetResult();
                    return;
                }

                if (!_chained)
                {
                    for (var sent = 0; sent < read;)
                    {
                        sent += _dest.Send(buffer, sent, read - sent, SocketFlags.None);
                    }

                    continue;
                }

                var chunk = StreamChunk.Copy(buffer.AsSpan(0, read), Stopwatch.GetTimestamp());
                _head!.WriteAsync(chunk, ConnectionClosed).AsTask().GetAwaiter().GetResult();
                _ = Task.Run(RunAsync);
                return;
            }
        }
        catch (Exception)
        {
            // Any I/O error, a reset included, ends the connection as a close does (see ProxyConnection.Fail).
            _connection.Fail();
        }
        finally
        {
            Interlocked.Decrement(ref s_dedicatedThreads);
        }
    }

    /// <summary>The reader: runs until the source ends or the connection closes.</summary>
    public async Task RunAsync()
    {
        var ct = ConnectionClosed;
        byte[]? buffer = null;
        try
        {
            if (!_chained && Splice.TryCreate() is { } splice)
            {
                using (splice)
                {
                    if (await splice.CopyAsync(_source, _dest, () => _chained, ct).ConfigureAwait(false))
                    {
                        await EndInputAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }

            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data before taking a buffer, so a pool's worth of idle database
                    // connections holds none; a big one while data flows halves the system calls.
                    await _source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = await _source.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    await EndInputAsync().ConfigureAwait(false);
                    return;
                }

                if (!_chained)
                {
                    await SendAllAsync(_dest, buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                else
                {
                    var chunk = StreamChunk.Copy(buffer.AsSpan(0, read), Stopwatch.GetTimestamp());
                    await _head!.WriteAsync(chunk, ct).ConfigureAwait(false);
                }

                if (read < buffer.Length)
                {
                    // The socket is drained for now.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception)
        {
            // Any I/O error, a reset included, ends the connection as a close does (see ProxyConnection.Fail).
            _connection.Fail();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task EndInputAsync()
    {
        await _chainLock.WaitAsync(ConnectionClosed).ConfigureAwait(false);
        bool chained;
        try
        {
            _inputEnded = true;
            chained = _chained;
            if (chained)
            {
                _head!.TryComplete();
            }
        }
        finally
        {
            _chainLock.Release();
        }

        if (!chained)
        {
            FinishStream();
        }
    }

    private async Task OutputLoopAsync()
    {
        var ct = ConnectionClosed;
        try
        {
            var reader = _output!.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var chunk))
                {
                    await SendAllAsync(_dest, chunk.Memory, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception)
        {
            // Any I/O error, a reset included, ends the connection as a close does (see ProxyConnection.Fail).
            _connection.Fail();
            return;
        }

        FinishStream();
    }

    /// <summary>The stream ended: either a toxic closes the connection, or the end is passed on as a half-close.</summary>
    private void FinishStream()
    {
        if (_closeRequested)
        {
            _connection.Close();
            return;
        }

        try
        {
            _dest.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _connection.DirectionFinished();
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
