using Chaos.Harness.Reports;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>Which build wrote a report: what `chaos merge` compares shards by.</summary>
public class HarnessBuildTests
{
    [TestCase("1.0.0+d96a2497f544e8b558ea8a99d791f404e434551d", "d96a2497f544e8b558ea8a99d791f404e434551d")]
    [TestCase("1.0.0-beta.2+D96A249", "d96a249")]
    [TestCase("1.0.0", HarnessBuild.UnknownCommit)]
    [TestCase("1.0.0+local", HarnessBuild.UnknownCommit)]
    public void The_commit_is_read_from_the_informational_version_or_said_to_be_unknown(string version, string commit) =>
        HarnessBuild.CommitOf(version).Should().Be(commit);

    [Test]
    public void A_build_from_a_git_checkout_knows_its_commit()
    {
        var git = Repo.File(".git");
        if (!File.Exists(git) && !Directory.Exists(git))
            Assert.Ignore("not built from a git checkout: the commit is rightly unknown");

        HarnessBuild.Commit.Should().MatchRegex("^[0-9a-f]{40}$");
        HarnessBuild.Version.Should().EndWith("+" + HarnessBuild.Commit);
    }
}
