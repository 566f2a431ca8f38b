using Npgsql;

namespace Chaos.Harness.Profiles;

/// <summary>
/// What a profile does, read off its Npgsql settings (with Npgsql's own defaults) and its policies, so
/// that expectation rules can say "a command timeout below the hang threshold" instead of naming profiles.
/// </summary>
internal sealed class ProfileTraits
{
    private readonly NpgsqlConnectionStringBuilder _settings = new();

    public ProfileTraits(Profile profile)
    {
        foreach (var (key, value) in profile.Settings)
        {
            _settings[key] = value;
        }
        ViaPgBouncer = profile.Route == Route.PgBouncer;
        ValidatesOnCheckout = profile.Checkout.Validates;
        EfCore = profile.EfCore;
        MultiHost = profile.MultiHost;
        ReadsFromStandby = profile.ReadsFromStandby;
        ClearsPoolOnReadOnly = profile.Retry.ClearsPoolOnReadOnly;
        Retries = profile.Retry.Retries || profile.EfCore is { Retry: not EfCoreRetry.None };
        SettlesUnknownCommits = profile.Retry.Retries && profile.Retry.ResolvesUnknownCommits;
        RetriesIdempotently = SettlesUnknownCommits || profile.EfCore is { Retry: EfCoreRetry.Verified };
    }

    /// <summary>The application finds the primary itself with a multi-host connection string.</summary>
    public bool MultiHost { get; }

    /// <summary>How long a multi-host data source trusts what it learnt of a host (Host Recheck Seconds, 10 by default).</summary>
    public TimeSpan HostRecheck => TimeSpan.FromSeconds(_settings.HostRecheckSeconds);

    /// <summary>A multi-host application that looks at its hosts again within <paramref name="window"/>.</summary>
    public bool RechecksHostsWithin(TimeSpan window) => MultiHost && HostRecheck <= window;

    /// <summary>Reads go to a data source that prefers the standby.</summary>
    public bool ReadsFromStandby { get; }

    /// <summary>A 25006 (read-only transaction) makes the application clear its pool and try once more.</summary>
    public bool ClearsPoolOnReadOnly { get; }

    /// <summary>The application uses EF Core (and how), or null for plain Npgsql.</summary>
    public EfCoreUsage? EfCore { get; }

    public bool ViaPgBouncer { get; }
    public bool ValidatesOnCheckout { get; }

    /// <summary>A policy runs failed requests again (whether or not it knows what an unknown COMMIT did).</summary>
    public bool Retries { get; }

    /// <summary>
    /// The idempotent retry of plain Npgsql: a COMMIT left unanswered is settled (did the write's rows land?)
    /// for up to <see cref="Timing.SettleUnknownCommitFor"/> before the write runs again. EF Core's verified
    /// strategy asks once, within its own backoff.
    /// </summary>
    public bool SettlesUnknownCommits { get; }

    /// <summary>A policy runs failed requests again, but never one whose COMMIT may have happened.</summary>
    public bool RetriesIdempotently { get; }

    public bool Pooling => _settings.Pooling;
    public int MaxPoolSize => _settings.MaxPoolSize;

    /// <summary>Npgsql's Timeout: the wait for a pool slot or a new connection.</summary>
    public TimeSpan CheckoutTimeout => TimeSpan.FromSeconds(_settings.Timeout);

    /// <summary>Npgsql's Command Timeout; null when 0 (infinite).</summary>
    public TimeSpan? CommandTimeout => _settings.CommandTimeout > 0 ? TimeSpan.FromSeconds(_settings.CommandTimeout) : null;

    /// <summary>Npgsql's Keepalive (a query on every idle connection); null when off.</summary>
    public TimeSpan? Keepalive => _settings.KeepAlive > 0 ? TimeSpan.FromSeconds(_settings.KeepAlive) : null;

    public bool TcpKeepalive => _settings.TcpKeepAlive || _settings.TcpKeepAliveTime > 0;

    /// <summary>Npgsql's Connection Lifetime (pool_recycle); null when 0 (never).</summary>
    public TimeSpan? ConnectionLifetime => _settings.ConnectionLifetime > 0 ? TimeSpan.FromSeconds(_settings.ConnectionLifetime) : null;

    /// <summary>The longest an idle connection stays in the pool: Connection Idle Lifetime plus one pruning interval.</summary>
    public TimeSpan IdleEviction => TimeSpan.FromSeconds(_settings.ConnectionIdleLifetime + _settings.ConnectionPruningInterval);

    /// <summary>A query fails by itself well before the harness calls it hung.</summary>
    public bool HasCommandTimeout => CommandTimeout is { } t && t < Timing.HangAfter;

    /// <summary>The pool retires connections younger than <paramref name="age"/>.</summary>
    public bool RecyclesBefore(TimeSpan age) => Pooling && ConnectionLifetime is { } life && life < age;

    /// <summary>The pool has closed every connection idle for <paramref name="idle"/>.</summary>
    public bool EvictsIdleWithin(TimeSpan idle) => Pooling && IdleEviction <= idle;

    /// <summary>Keepalive queries run more often than every <paramref name="interval"/>.</summary>
    public bool KeepsAliveWithin(TimeSpan interval) => Pooling && Keepalive is { } k && k < interval;
}
