using System.Net.Sockets;

namespace Toxiproxy;

/// <summary>A client connection and its upstream connection, joined by two links.</summary>
internal sealed class ProxyConnection
{
    private readonly CancellationTokenSource _closed = new();
    private readonly Action<ProxyConnection> _onClosed;
    private int _isClosed;
    private int _finishedDirections;

    public ProxyConnection(Socket client, Socket upstream, SemaphoreSlim chainLock, Action<ProxyConnection> onClosed)
    {
        Client = client;
        Upstream = upstream;
        _onClosed = onClosed;
        UpstreamLink = new Link(this, StreamDirection.Upstream, client, upstream, chainLock);
        DownstreamLink = new Link(this, StreamDirection.Downstream, upstream, client, chainLock);
    }

    public Socket Client { get; }

    public Socket Upstream { get; }

    public Link UpstreamLink { get; }

    public Link DownstreamLink { get; }

    public CancellationToken Closed => _closed.Token;

    public Link LinkFor(StreamDirection direction) =>
        direction == StreamDirection.Upstream ? UpstreamLink : DownstreamLink;

    public void Start()
    {
        UpstreamLink.Start();
        DownstreamLink.Start();
    }

    /// <summary>Both directions ended with a half-close: the connection is done.</summary>
    public void DirectionFinished()
    {
        if (Interlocked.Increment(ref _finishedDirections) == 2)
        {
            Close();
        }
    }

    /// <summary>
    /// Set when the connection opened with a reset_peer toxic on its proxy (see
    /// <see cref="Toxics.IAbortiveCloseToxic"/>): every close is then a TCP RST.
    /// </summary>
    public bool ResetOnClose { get; set; }

    /// <summary>
    /// An I/O error on either side, a reset included: both sides are closed as any close is (FIN,
    /// unless <see cref="ResetOnClose"/>). Toxiproxy passes a reset on the same way: its link
    /// sees an error, ends, and closes the other socket normally.
    /// </summary>
    public void Fail() => Close();

    /// <summary>Closes both sockets: FIN, or TCP RST (linger 0) when <see cref="ResetOnClose"/>.</summary>
    public void Close()
    {
        var abortive = ResetOnClose;
        if (Interlocked.Exchange(ref _isClosed, 1) == 1)
        {
            return;
        }

        // Order matters: first say how to close (shutdown for FIN, linger 0 for RST), then cancel
        // so every pending operation ends and lets go of the sockets, then close them. Closing a
        // socket that a forwarding loop still holds would wait for that loop.
        var sockets = new[] { Client, Upstream };
        foreach (var socket in sockets)
        {
            try
            {
                if (abortive)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                else
                {
                    // Without a shutdown first, .NET closes a socket with a pending receive
                    // abortively (RST) on Linux; a graceful close must say so.
                    socket.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        _closed.Cancel();
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        _onClosed(this);
    }
}
