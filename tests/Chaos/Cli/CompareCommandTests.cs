using Chaos.Cli;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using Chaos.Tests.Reports;
using FluentAssertions;
using Chaos.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Chaos.Tests.Cli;

/// <summary>`chaos compare A.json B.json`: two runs cell by cell, information rather than a verdict.</summary>
[TestFixture]
[NonParallelizable]
public class CompareCommandTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("chaos-compare-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Two_Npgsql_versions_are_compared_cell_by_cell_and_a_change_is_still_exit_0()
    {
        var older = SampleMatrix.Create() with
        {
            Environment = new Dictionary<string, string> { ["npgsql"] = "9.0.5", ["postgres"] = "15.18", ["machine"] = "2 cores" },
        };
        var newer = SampleMatrix.Create().WithVerdict("tcp-reset", "default", Verdict.Recovered) with
        {
            Environment = new Dictionary<string, string> { ["npgsql"] = "10.0.3", ["postgres"] = "15.18", ["pgbouncer"] = "1.18.0" },
            Cells = [.. SampleMatrix.Create().WithVerdict("tcp-reset", "default", Verdict.Recovered).Cells.Where(c => c.Fault != "pgbouncer-restart" || c.Profile != "default")],
        };
        var a = await WriteAsync("npgsql-9.json", older);
        var b = await WriteAsync("npgsql-10.json", newer);
        var outDir = Path.Combine(_dir, "out");

        var (code, output, error) = await RunAsync(["compare", a, b, "--out", outDir]);

        code.Should().Be(ChaosCli.Ok, $"a comparison is not a regression; {output} {error}");
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        lines.Should().Contain($"A {a} (npgsql 9.0.5)");
        lines.Should().Contain($"B {b} (npgsql 10.0.3, pgbouncer 1.18.0)");
        lines.Should().Contain("  npgsql: 9.0.5 in A, 10.0.3 in B");
        lines.Should().Contain("  machine: 2 cores in A, (none) in B");
        lines.Should().Contain("  pgbouncer: (none) in A, 1.18.0 in B");
        lines.Should().NotContain(l => l.Contains("postgres:"), "an equal key is not a difference");
        lines.Should().Contain(l => l.StartsWith("changed tcp-reset / default: hung -> recovered", StringComparison.Ordinal));
        lines.Should().Contain("only A  pgbouncer-restart / default: not-applicable");
        lines.Should().Contain("8 cells in both: 1 verdict changed, 7 the same; 1 only in A, 0 only in B");

        var md = await File.ReadAllTextAsync(Path.Combine(outDir, ComparisonReport.FileName));
        md.Should().Contain("| npgsql | 9.0.5 | 10.0.3 |");
        md.Should().Contain("| fault | profile | A: npgsql 9.0.5 | B: npgsql 10.0.3, pgbouncer 1.18.0 | errors | p99 |");
        md.Should().Contain("| tcp-reset | default | ∞ hung | ↻ recovered |");
        md.Should().Contain("| tcp-reset | default | **∞ hung** | **↻ recovered** |", "the changed cell is bold in the table of every cell");
        md.Should().Contain("## Only in A\n\n- pgbouncer-restart / default: – not-applicable");
    }

    [Test]
    public async Task The_same_file_twice_has_nothing_to_show()
    {
        var a = await WriteAsync("a.json", SampleMatrix.Create());

        var (code, output, _) = await RunAsync(["compare", a, a, "--format", "table"]);

        code.Should().Be(ChaosCli.Ok);
        output.Should().Contain("environment: the same in both").And.Contain("9 cells in both: 0 verdicts changed, 9 the same");
        output.Should().NotContain("wrote", "--format table writes no file");
    }

    [Test]
    public async Task A_file_that_is_not_a_matrix_is_one_line_and_exit_2()
    {
        var a = await WriteAsync("a.json", SampleMatrix.Create());
        var b = Path.Combine(_dir, "b.json");
        await File.WriteAllTextAsync(b, "{ \"cells\": [] }");

        var (code, _, error) = await RunAsync(["compare", a, b, "--format", "table"]);

        code.Should().Be(ChaosCli.BadInput);
        error.Trim().Should().Be($"chaos: {b}: not a valid matrix at $ (line 1): missing required field 'startedAt', 'durationMs'.");
    }

    private async Task<string> WriteAsync(string name, MatrixRecord matrix)
    {
        var path = Path.Combine(_dir, name);
        await JsonReport.WriteAsync(matrix, path, CancellationToken.None);
        return path;
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) =>
        CliRun.RunAsync(args, TimeSpan.FromMinutes(1));
}
