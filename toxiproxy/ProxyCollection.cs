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

    /// <summary>
    /// ProxyCollection.AddOrReplace: keeps an existing proxy whose listen address resolves to the
    /// one it has and whose upstream is the same (toxics, connections and enabled state untouched);
    /// replaces one that differs. If the replacement cannot listen, the old proxy is started
    /// again and stays (Toxiproxy leaves it stopped and answers 500).
    /// </summary>
    public async Task<Proxy> AddOrReplaceAsync(Proxy proxy, bool enabled, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_proxies.TryGetValue(proxy.Name, out var existing))
            {
                if (!await existing.DiffersAsync(proxy.Listen, proxy.Upstream, ct).ConfigureAwait(false))
                {
                    return existing;
                }

                var wasEnabled = existing.Enabled;
                await existing.StopAsync().ConfigureAwait(false);
                try
                {
                    if (enabled)
                    {
                        await proxy.StartAsync(ct).ConfigureAwait(false);
                    }
                }
                catch (ApiException)
                {
                    if (wasEnabled)
                    {
                        await TryStartAsync(existing, ct).ConfigureAwait(false);
                    }

                    throw;
                }

                _proxies[proxy.Name] = proxy;
                return proxy;
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

    /// <summary>
    /// Enables every proxy and removes every toxic. A proxy that cannot listen again (its address
    /// was taken meanwhile) does not stop the others: everything else is reset, then its error is
    /// the answer (Toxiproxy answers 500 and skips the proxies after it).
    /// </summary>
    public async Task ResetAsync(CancellationToken ct)
    {
        ApiException? first = null;
        foreach (var proxy in await GetAllAsync(ct).ConfigureAwait(false))
        {
            first ??= await TryStartAsync(proxy, ct).ConfigureAwait(false);
            await proxy.Toxics.ResetAsync(ct).ConfigureAwait(false);
        }

        if (first is not null)
        {
            throw first;
        }
    }

    private static async Task<ApiException?> TryStartAsync(Proxy proxy, CancellationToken ct)
    {
        try
        {
            await proxy.StartAsync(ct).ConfigureAwait(false);
            return null;
        }
        catch (ApiException e)
        {
            return e;
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
