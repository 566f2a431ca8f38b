using Chaos.Harness.Testing;
using NUnit.Framework;

namespace Chaos.NUnit;

/// <summary>
/// Base class for an NUnit fixture whose tests meet faults: one <see cref="ChaosDatabase"/> for the whole fixture,
/// started before its first test and stopped after its last, with every fault healed after each test so one
/// test's fault never reaches the next. Override <see cref="Configure"/> to add PgBouncer or server settings.
/// A machine that cannot run the database fails the fixture with what to install.
/// </summary>
/// <example>
/// <code>
/// public class OrderRepositoryTests : ChaosDatabaseFixture
/// {
///     [Test]
///     public async Task A_reset_mid_transaction_surfaces_as_a_transient_error()
///     {
///         await using var source = NpgsqlDataSource.Create(Database.ConnectionString);
///         // ... begin, write, then: await Database.InjectAsync(Fault.TcpResetMidTransaction(), TestTimeout);
///     }
/// }
/// </code>
/// </example>
public abstract class ChaosDatabaseFixture
{
    private ChaosDatabase? _database;
    private CancellationTokenSource? _testTimeout;

    /// <summary>The fixture's database; available from the first test on (and in a derived <c>[OneTimeSetUp]</c>, which NUnit runs after this one).</summary>
    protected ChaosDatabase Database => _database ?? throw new InvalidOperationException("the database starts in the fixture's OneTimeSetUp; it is not available before");

    /// <summary>Bounds the starting of the database (default 120 s, room for a first initdb on a busy machine).</summary>
    protected virtual TimeSpan StartTimeout => TimeSpan.FromSeconds(120);

    /// <summary>Bounds each test's own work (default 60 s): pass <see cref="TestTimeout"/> to every call that takes a token.</summary>
    protected virtual TimeSpan TestTimeLimit => TimeSpan.FromSeconds(60);

    /// <summary>Cancelled when the current test has run for <see cref="TestTimeLimit"/>.</summary>
    protected CancellationToken TestTimeout => _testTimeout?.Token ?? CancellationToken.None;

    /// <summary>The database the fixture starts; the default is <paramref name="builder"/> unchanged (no PgBouncer, Npgsql-default connection string).</summary>
    /// <param name="builder">A builder with the defaults.</param>
    /// <returns>The builder to start.</returns>
    protected virtual ChaosDatabaseBuilder Configure(ChaosDatabaseBuilder builder) => builder;

    /// <summary>Starts the fixture's database.</summary>
    [OneTimeSetUp]
    public async Task StartChaosDatabaseAsync()
    {
        using var bound = new CancellationTokenSource(StartTimeout);
        try
        {
            _database = await Configure(new ChaosDatabaseBuilder()).StartAsync(bound.Token);
        }
        catch (ChaosSetupException e)
        {
            Assert.Fail(e.Message);
        }
    }

    /// <summary>Starts the current test's time limit.</summary>
    [SetUp]
    public void StartTestTimeout() => _testTimeout = new CancellationTokenSource(TestTimeLimit);

    /// <summary>Heals every fault the test left in effect, so the next test starts on a healthy database.</summary>
    [TearDown]
    public async Task HealChaosFaultsAsync()
    {
        _testTimeout?.Dispose();
        _testTimeout = null;
        if (_database is null) return;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _database.HealAllAsync(bound.Token);
    }

    /// <summary>Stops the database and every process it started.</summary>
    [OneTimeTearDown]
    public async Task StopChaosDatabaseAsync()
    {
        if (_database is null) return;
        await _database.DisposeAsync();
        _database = null;
    }
}
