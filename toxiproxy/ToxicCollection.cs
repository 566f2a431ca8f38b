using System.Collections.Concurrent;
using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>
/// A proxy's toxics, one ordered chain per direction, and the live links they apply to. One lock
/// serializes every chain change and every link creation, so a new connection sees either the
/// chain before a change or after it, never half of it.
/// </summary>
internal sealed class ToxicCollection
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly List<ToxicDefinition>[] _chains = [[], []];
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();

    public SemaphoreSlim Lock => _lock;

    public async Task<IReadOnlyList<ToxicDefinition>> GetAllAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return [.. _chains[0], .. _chains[1]];
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<ToxicDefinition> GetAsync(string name, CancellationToken ct) =>
        (await GetAllAsync(ct).ConfigureAwait(false)).FirstOrDefault(t => t.Name == name)
        ?? throw ApiError.ToxicNotFound.ToException();

    /// <summary>Adds the toxic <paramref name="create"/> makes; it runs only once the name is known to be free (Toxiproxy answers 409 before it looks at attributes).</summary>
    public async Task<ToxicDefinition> AddAsync(string name, Func<ToxicDefinition> create, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Find(name) is not null)
            {
                throw ApiError.ToxicAlreadyExists.ToException();
            }

            var toxic = create();

            _chains[(int)toxic.Direction].Add(toxic);
            await ForEachLink(toxic.Direction, link => link.AddToxicAsync(toxic)).ConfigureAwait(false);
            return toxic;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<ToxicDefinition> UpdateAsync(string name, Func<ToxicDefinition, ToxicDefinition> update, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var old = Find(name) ?? throw ApiError.ToxicNotFound.ToException();
            var updated = update(old);
            var chain = _chains[(int)old.Direction];
            chain[chain.IndexOf(old)] = updated;
            await ForEachLink(old.Direction, link => link.UpdateToxicAsync(old, updated)).ConfigureAwait(false);
            return updated;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task RemoveAsync(string name, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var toxic = Find(name) ?? throw ApiError.ToxicNotFound.ToException();
            await RemoveLockedAsync(toxic).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task ResetAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var toxic in _chains.SelectMany(c => c).ToList())
            {
                await RemoveLockedAsync(toxic).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task RemoveLockedAsync(ToxicDefinition toxic)
    {
        _chains[(int)toxic.Direction].Remove(toxic);
        await ForEachLink(toxic.Direction, link => link.RemoveToxicAsync(toxic)).ConfigureAwait(false);
    }

    /// <summary>Gives a new connection the current chains and starts moving its bytes.</summary>
    public async Task AttachAsync(ProxyConnection connection, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Toxiproxy's ToxicLink.Start: a reset_peer toxic present now makes every close of this
            // connection abortive, for its whole life.
            connection.ResetOnClose = _chains.Any(chain => chain.Any(t => t.Toxic is Toxics.IAbortiveCloseToxic));
            connection.UpstreamLink.Initialize([.. _chains[(int)StreamDirection.Upstream]]);
            connection.DownstreamLink.Initialize([.. _chains[(int)StreamDirection.Downstream]]);
            _connections[connection] = 0;
        }
        finally
        {
            _lock.Release();
        }

        if (connection.Closed.IsCancellationRequested)
        {
            // Closed while waiting for the lock: its Detach ran before it was attached.
            Detach(connection);
            return;
        }

        connection.Start();
    }

    public void Detach(ProxyConnection connection) => _connections.TryRemove(connection, out _);

    private ToxicDefinition? Find(string name) => _chains.SelectMany(c => c).FirstOrDefault(t => t.Name == name);

    private Task ForEachLink(StreamDirection direction, Func<Link, Task> change) =>
        Task.WhenAll(_connections.Keys.Select(c => change(c.LinkFor(direction))));
}
