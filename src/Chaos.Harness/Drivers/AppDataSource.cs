using Npgsql;

namespace Chaos.Harness.Drivers;

/// <summary>
/// The application's data source, built the way Npgsql's documentation builds it for every supported
/// major: a connection string with several hosts and Target Session Attributes becomes one multi-host data
/// source (the pool) and a wrapper that asks for those attributes. Npgsql 8 refuses the attributes in a
/// multi-host connection string; 9 and 10 accept them and build the same pair.
/// </summary>
internal sealed class AppDataSource : IAsyncDisposable
{
    private readonly NpgsqlDataSource _pool;

    private AppDataSource(NpgsqlDataSource pool, NpgsqlDataSource source)
    {
        _pool = pool;
        Source = source;
    }

    /// <summary>What the application opens its connections from.</summary>
    public NpgsqlDataSource Source { get; }

    public static AppDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (settings.Host?.Contains(',') != true || settings.TargetSessionAttributes is not { Length: > 0 } attributes)
        {
            var single = builder.Build();
            return new AppDataSource(single, single);
        }
        settings.TargetSessionAttributes = null;
        var pool = builder.BuildMultiHost();
        return new AppDataSource(pool, pool.WithTargetSession(Enum.Parse<TargetSessionAttributes>(attributes.Replace("-", ""), ignoreCase: true)));
    }

    /// <summary>Closes every idle connection of the pool and retires the busy ones when they come back.</summary>
#if NPGSQL_8
    // Npgsql 8 has NpgsqlDataSource.Clear() internal (public since 9): what NpgsqlConnection.ClearPool calls.
    public void Clear() => ClearDataSource.Invoke(_pool, null);

    private static readonly System.Reflection.MethodInfo ClearDataSource =
        typeof(NpgsqlDataSource).GetMethod("Clear", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public, Type.EmptyTypes)
        ?? throw new MissingMethodException(nameof(NpgsqlDataSource), "Clear");
#else
    public void Clear() => _pool.Clear();
#endif

    /// <summary>The wrapper owns no connection; disposing the pool closes them all.</summary>
    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
