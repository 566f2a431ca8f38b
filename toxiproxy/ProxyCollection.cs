using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>All proxies of a server, by name.</summary>
internal sealed class ProxyCollection : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, Proxy> _proxies = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<Proxy>> GetAllAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return [.. _proxies.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<Proxy> GetAsync(string name, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _proxies.GetValueOrDefault(name) ?? throw ApiError.ProxyNotFound.ToException();
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task AddAsync(Proxy proxy, bool enabled, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_proxies.ContainsKey(proxy.Name))
            {
                throw ApiError.ProxyAlreadyExists.ToException();
            }

            if (enabled)
            {
                await proxy.StartAsync(ct).ConfigureAwait(false);
            }

            _proxies.Add(proxy.Name, proxy);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Keeps an existing proxy with the same listen and upstream; replaces one that differs.</summary>
    public async Task<Proxy> AddOrReplaceAsync(Proxy proxy, bool enabled, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_proxies.TryGetValue(proxy.Name, out var existing))
            {
                if (existing.Listen == proxy.Listen && existing.Upstream == proxy.Upstream)
                {
                    return existing;
                }

                await existing.StopAsync().ConfigureAwait(false);
                _proxies.Remove(proxy.Name);
            }

            if (enabled)
            {
                await proxy.StartAsync(ct).ConfigureAwait(false);
            }

            _proxies.Add(proxy.Name, proxy);
            return proxy;
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
            var proxy = _proxies.GetValueOrDefault(name) ?? throw ApiError.ProxyNotFound.ToException();
            _proxies.Remove(name);
            await proxy.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Enables every proxy and removes every toxic.</summary>
    public async Task ResetAsync(CancellationToken ct)
    {
        foreach (var proxy in await GetAllAsync(ct).ConfigureAwait(false))
        {
            await proxy.StartAsync(ct).ConfigureAwait(false);
            await proxy.Toxics.ResetAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var proxy in _proxies.Values)
            {
                await proxy.StopAsync().ConfigureAwait(false);
            }

            _proxies.Clear();
        }
        finally
        {
            _lock.Release();
        }
    }
}
