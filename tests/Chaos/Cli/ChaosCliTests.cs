using System.Text.Json;
using Chaos.Harness.Checking;
using Chaos.Cli;
using Chaos.Harness.Reports;
using FluentAssertions;
using Chaos.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Chaos.Tests.Cli;

/// <summary>The `chaos` command line as a user meets it: exit codes, one-line errors, files written.</summary>
[TestFixture]
[NonParallelizable]
public class ChaosCliTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("chaos-cli-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    [TestCase(new[] { "matrix", "--faults", "nope" }, "unknown fault 'nope'", "idle-backends-killed")]
    [TestCase(new[] { "matrix", "--profiles", "turbo" }, "unknown profile 'turbo'", "npgsql-defaults")]
    [TestCase(new[] { "matrix", "--profile", "mine=Maximum Pool Size=banana" }, "banana", "Maximum Pool Size")]
    [TestCase(new[] { "matrix", "--profile", "mine=Host=db.example.com" }, "'Host' is set by the harness", "pool and timeout settings")]
    [TestCase(new[] { "matrix", "--profile", "nosettings" }, "NAME=\"<npgsql settings>\"", "Maximum Pool Size=5")]
    [TestCase(new[] { "matrix", "--format", "xml" }, "'xml'", "table, json, markdown, junit, html")]
    [TestCase(new[] { "matrix", "--parallel", "0" }, "--parallel '0'", "whole number from 1 to 256")]
    [TestCase(new[] { "matrix", "--frobnicate" }, "--frobnicate", "chaos matrix --help")]
    [TestCase(new[] { "repro", "--fault", "black-hole" }, "--profile NAME or --settings", "<npgsql settings>")]
    [TestCase(new[] { "repro", "--fault", "black-hole", "--profile", "retry", "--settings", "Keepalive=1" }, "either --profile or --settings", "not both")]
    [TestCase(new[] { "repro", "--fault", "volcano", "--profile", "retry" }, "unknown fault 'volcano'", "known faults")]
    [TestCase(new[] { "proxy", "--port", "banana" }, "banana", "--port")]
    [TestCase(new[] { "matrix", "--parallel", "abc" }, "--parallel 'abc'", "whole number from 1 to 256")]
    [TestCase(new[] { "bench", "matrix", "--runs", "x" }, "--runs 'x'", "whole number from 1 to 100")]
    [TestCase(new[] { "frobnicate" }, "unknown command 'frobnicate'", "matrix, merge, compare, repro, list")]
    [TestCase(new string[0], "give a command", "matrix, merge, compare, repro, list")]
    [TestCase(new[] { "matrix", "--profile", "mine=Target Session Attributes=standby" }, "profile 'mine'", "multiple hosts")]
    [TestCase(new[] { "matrix", "--profile", "mine=Maximum Pool Size=2147483647" }, "Maximum Pool Size=2147483647", "at most 10000")]
    [TestCase(new[] { "matrix", "--profiles", "retry,retry" }, "profile 'retry' is given twice", "give each once")]
    [TestCase(new[] { "matrix", "--faults", "black-hole,black-hole" }, "fault 'black-hole' is given twice", "give each once")]
    [TestCase(new[] { "matrix", "--profile", "mine=Keepalive=1", "--profile", "mine=Keepalive=2" }, "profile 'mine' is given twice", "give each once")]
    [TestCase(new[] { "matrix", "--out", "" }, "--out ''", "give a folder")]
    [TestCase(new[] { "matrix", "--out", "/proc/chaos-out" }, "--out '/proc/chaos-out' cannot be written", "cannot be written")]
    [TestCase(new[] { "matrix", "--out", "/sys/chaos-out" }, "--out '/sys/chaos-out' cannot be written", "cannot be written")]
    [TestCase(new[] { "matrix", "--baseline", "/dev/zero" }, "/dev/zero", "larger than 64 MB")]
    [TestCase(new[] { "matrix", "--baseline", "" }, "no file given", "matrix.json")]
    [TestCase(new[] { "matrix", "--shard", "0/3" }, "--shard '0/3'", "1 <= I <= N <= 256")]
    [TestCase(new[] { "matrix", "--shard", "4/3" }, "--shard '4/3'", "1 <= I <= N <= 256")]
    [TestCase(new[] { "matrix", "--shard", "a/b" }, "--shard 'a/b'", "e.g. --shard 2/3")]
    [TestCase(new[] { "matrix", "--shard", "1/0" }, "--shard '1/0'", "1 <= I <= N <= 256")]
    [TestCase(new[] { "matrix", "--shard", "1/257" }, "--shard '1/257'", "1 <= I <= N <= 256")]
    [TestCase(new[] { "matrix", "--shard", "-1/3" }, "--shard '-1/3'", "1 <= I <= N <= 256")]
    [TestCase(new[] { "matrix", "--shard", "2" }, "--shard '2'", "give I/N")]
    [TestCase(new[] { "matrix", "--shard", "1/2/3" }, "--shard '1/2/3'", "give I/N")]
    [TestCase(new[] { "merge" }, "merge", "matrix.json")]
    [TestCase(new[] { "merge", "/nonexistent/shards" }, "'/nonexistent/shards' does not exist", "matrix.json files or folders")]
    [TestCase(new[] { "merge", "/proc/self/fd" }, "/proc/self/fd", "holds no matrix.json")]
    [TestCase(new[] { "merge", "--format", "pdf", "x" }, "'pdf'", "table, json, markdown, junit, html")]
    [TestCase(new[] { "merge", "/dev/zero" }, "/dev/zero", "larger than 64 MB")]
    [TestCase(new[] { "compare", "a.json" }, "compare", "A.json B.json")]
    [TestCase(new[] { "compare", "/nonexistent/a.json", "/nonexistent/b.json" }, "/nonexistent/a.json", "does not exist")]
    [TestCase(new[] { "compare", "/dev/null", "/dev/null" }, "/dev/null", "the file is empty")]
    [TestCase(new[] { "compare", "x", "y", "--format", "html" }, "--format 'html'", "compare writes table, markdown")]
    public async Task Bad_input_is_one_line_naming_the_value_and_what_is_accepted_with_exit_code_2(string[] args, string names, string accepts)
    {
        var (code, output, error) = await RunAsync(args);

        code.Should().Be(ChaosCli.BadInput, $"output: {output} error: {error}");
        error.Should().Contain(names).And.Contain(accepts);
        error.Trim().Split('\n').Should().HaveCount(1, "one line, no stack trace");
        error.Should().NotContain("   at ");
    }

    [Test]
    public async Task An_out_that_is_a_file_fails_before_any_cell_runs()
    {
        var file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");

        var (code, output, error) = await RunAsync(["matrix", "--faults", "black-hole", "--out", file]);

        code.Should().Be(ChaosCli.BadInput);
        error.Should().Contain($"--out '{file}' is a file");
        output.Should().NotContain("black-hole x", "no cell ran");
    }

    [Test]
    public async Task An_unreadable_baseline_fails_at_once_before_any_cell_runs()
    {
        var missing = Path.Combine(_dir, "nothing-here.json");
        var (code, output, error) = await RunAsync(["matrix", "--faults", "black-hole", "--baseline", missing]);

        code.Should().Be(ChaosCli.BadInput);
        error.Should().Contain(missing);
        output.Should().NotContain("black-hole x", "no cell ran");
    }

    [Test]
    public async Task A_proxy_config_that_cannot_be_read_is_exit_code_2()
    {
        var (code, _, error) = await RunAsync(["proxy", "--port", "0", "--config", Path.Combine(_dir, "none.json")]);
        code.Should().Be(ChaosCli.BadInput);
        error.Should().Contain("none.json");
    }

    [Test]
    public async Task List_names_every_fault_and_profile()
    {
        var (code, output, _) = await RunAsync(["list"]);

        code.Should().Be(ChaosCli.Ok);
        foreach (var name in Harness.Faults.FaultCatalog.Names.Concat(Harness.Profiles.ProfileCatalog.All.Select(p => p.Name)))
        {
            output.Should().Contain(name);
        }
    }

    [Test]
    public async Task Matrix_writes_every_report_and_a_changed_verdict_against_the_baseline_exits_1()
    {
        var first = Path.Combine(_dir, "first");
        var (code, output, error) = await RunAsync(["matrix", "--faults", "idle-backends-killed", "--profiles", "validate-on-checkout",
            "--format", "table,markdown,json,junit,html", "--out", first]);

        code.Should().Be(ChaosCli.Ok, $"the cell meets its expectation; output: {output} {error}");
        output.Should().Contain("idle-backends-killed x validate-on-checkout: survived");
        foreach (var file in new[] { "matrix.json", "matrix.md", "junit.xml", "matrix.html" })
        {
            File.Exists(Path.Combine(first, file)).Should().BeTrue(file);
        }
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(first, "matrix.json")));
        json.RootElement.GetProperty("cells").EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("verdict").GetString().Should().Be("survived");

        // A baseline that remembers this cell as recovered: today's survived is a change, and the nightly must fail.
        var previous = await JsonReport.ReadAsync(Path.Combine(first, "matrix.json"), CancellationToken.None);
        var baseline = Path.Combine(_dir, "baseline.json");
        await JsonReport.WriteAsync(previous with { Cells = [.. previous.Cells.Select(c => c with { Verdict = Verdict.Recovered })] }, baseline, CancellationToken.None);

        var (again, againOutput, _) = await RunAsync(["matrix", "--faults", "idle-backends-killed", "--profiles", "validate-on-checkout",
            "--format", "table", "--out", Path.Combine(_dir, "second"), "--baseline", baseline]);
        again.Should().Be(ChaosCli.Regression);
        againOutput.Should().Contain("recovered -> survived");
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) =>
        CliRun.RunAsync(args, TimeSpan.FromMinutes(2));
}
