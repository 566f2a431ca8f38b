using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>
/// Names the server keeps only 63 bytes of must not make a fault miss: a long profile name once turned
/// idle-backends-killed into survived with 0 errors, because pg_terminate_backend by the (truncated)
/// application name matched nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public class LongNameTests
{
    [Test]
    public async Task A_profile_with_a_long_name_gets_the_verdict_of_the_same_settings_under_a_short_one()
    {
        var longName = ProfileCatalog.Custom("a-profile-whose-name-is-far-longer-than-thirty-six-characters", "Maximum Pool Size=100");
        var shortName = ProfileCatalog.Custom("short", "Maximum Pool Size=100");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var proxy = await ProxyHost.StartAsync(bound.Token);
        var fault = FaultCatalog.Get("idle-backends-killed");

        var cells = await Task.WhenAll(
            MatrixRunner.RunCellAsync(fault, longName, ServerBackend.Managed, proxy.Client, bound.Token),
            MatrixRunner.RunCellAsync(fault, shortName, ServerBackend.Managed, proxy.Client, bound.Token));

        cells[0].Verdict.Should().Be(cells[1].Verdict, $"long: {cells[0].Judgement.Reason}; short: {cells[1].Judgement.Reason}");
        cells[0].Verdict.Should().Be(Verdict.Recovered, "Npgsql's defaults meet the killed connections");
        cells[0].Timeline.Should().Contain(e => e.Kind == "broken" && e.Detail.StartsWith("pg_terminate_backend: ", StringComparison.Ordinal));
    }

    [TestCase("short", "short")]
    [TestCase("chaos-idle-backends-killed-a-profile-whose-name-is-far-longer-than-thirty-six-characters", "chaos-idle-backends-killed-a-profile-whose-name-is-far-longer-t")]
    [TestCase("chaos-ééééééééééééééééééééééééééééééééé", "chaos-éééééééééééééééééééééééééééé")]
    public void Application_names_are_cut_to_the_63_bytes_postgres_keeps_on_a_character_boundary(string name, string kept)
    {
        var fit = ApplicationNames.Fit(name);

        fit.Should().Be(kept);
        System.Text.Encoding.UTF8.GetByteCount(fit).Should().BeLessThanOrEqualTo(ApplicationNames.MaxBytes);
    }
}
