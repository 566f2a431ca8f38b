using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class TemplateCacheTests
{
    [Test]
    public async Task Two_builders_racing_for_an_empty_cache_run_initdb_once_and_share_the_result()
    {
        var root = Path.Combine(Path.GetTempPath(), $"chaos-template-race-{Guid.NewGuid():N}");
        var env = TestServers.Environment();
        try
        {
            var (binaries, user) = (PgBinaries.Locate(env), ServerUser.Detect(env));
            var before = TemplateCache.InitDbRuns;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            var templates = await Task.WhenAll(
                Task.Run(() => TemplateCache.GetAsync(binaries, user, root, timeout.Token)),
                Task.Run(() => TemplateCache.GetAsync(binaries, user, root, timeout.Token)));

            TemplateCache.InitDbRuns.Should().Be(before + 1);
            templates[0].Should().Be(templates[1]);
            File.Exists(Path.Combine(templates[0].DataDir, "PG_VERSION")).Should().BeTrue();
            Directory.GetDirectories(root).Should().ContainSingle("the build directory was renamed into place, nothing half-built is left");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
