namespace Chaos.Harness.Servers;

/// <summary>
/// Managed servers a matrix run hands from one cell to the next instead of stopping and starting them. A server
/// goes onto the shelf when its cell disposes it and nothing was done to it but backend administration (no stop,
/// restart, freeze, promotion or standby); it is reset first (every session ended, the workload's objects dropped,
/// nothing else of anyone's left, <see cref="ManagedServer.ResetForReuseAsync"/>) and stopped instead when the reset
/// finds anything. A later cell asking for the same settings gets it back. On a 2-core VM starting a server costs
/// about a fifth of a cell's CPU (copying the template, the postmaster and its helper processes).
/// </summary>
/// <remarks>
/// Verdicts do not move with it: a cell sees a server with its settings, an empty application database, the same
/// roles, no session of anyone's. What differs is warm: the server's shared buffers and its relation cache file,
/// as on a server that has been up for a while in production.
/// </remarks>
internal sealed class ServerShelf : IAsyncDisposable
{
    private static readonly TimeSpan s_resetBound = TimeSpan.FromSeconds(15);

    private readonly int _capacity;
    private readonly string _dropSql;
    private readonly LinkedList<(string Key, ManagedServer Server)> _parked = new();
    private bool _disposed;

    /// <param name="capacity">Servers kept at most; parking one more stops the one parked longest ago.</param>
    /// <param name="dropSql">Drops what cells create in the application database (their tables, their schemas).</param>
    public ServerShelf(int capacity, string dropSql)
    {
        _capacity = Math.Max(1, capacity);
        _dropSql = dropSql;
    }

    /// <summary>Servers taken off the shelf and servers parked on it, for reports and tests.</summary>
    public int Reused { get; private set; }

    public int Parked { get; private set; }

    /// <summary>A parked server started with <paramref name="options"/>, now owned by the caller; null when none is parked.</summary>
    public ManagedServer? TryTake(PostgresOptions options)
    {
        var key = ManagedServer.ShelfKey(options);
        lock (_parked)
        {
            for (var node = _parked.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Key == key)
                {
                    _parked.Remove(node);
                    Reused++;
                    var server = node.Value.Server.Adopt();
                    server.ShelveInto(this);
                    return server;
                }
            }
        }
        return null;
    }

    /// <summary>Resets <paramref name="server"/> and keeps it; false (the caller stops it) when the reset finds something left or fails.</summary>
    internal async Task<bool> TryParkAsync(ManagedServer server)
    {
        if (Volatile.Read(ref _disposed))
        {
            return false;
        }
        using var bound = new CancellationTokenSource(s_resetBound);
        try
        {
            if (!await server.ResetForReuseAsync(_dropSql, bound.Token))
            {
                return false;
            }
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException or ServerSetupException)
        {
            return false;
        }
        ManagedServer? evicted = null;
        lock (_parked)
        {
            if (_disposed)
            {
                return false;
            }
            if (_parked.Count >= _capacity)
            {
                evicted = _parked.First!.Value.Server;
                _parked.RemoveFirst();
            }
            _parked.AddLast((ManagedServer.ShelfKey(server.Options), server));
            Parked++;
        }
        if (evicted is not null)
        {
            await evicted.Adopt().DisposeAsync();
        }
        return true;
    }

    /// <summary>Stops every parked server.</summary>
    public async ValueTask DisposeAsync()
    {
        List<ManagedServer> parked;
        lock (_parked)
        {
            _disposed = true;
            parked = [.. _parked.Select(p => p.Server)];
            _parked.Clear();
        }
        foreach (var server in parked)
        {
            await server.Adopt().DisposeAsync();
        }
    }
}
