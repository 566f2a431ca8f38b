using NUnit.Framework;

namespace Chaos.Tests.Support;

/// <summary>Files of the repository the tests run from (docs, the baseline, workflows).</summary>
public static class Repo
{
    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Chaos.sln")))
                return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException($"No Chaos.sln above {TestContext.CurrentContext.TestDirectory}.");
    }
}
