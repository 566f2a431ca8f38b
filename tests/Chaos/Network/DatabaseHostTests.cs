using System.Diagnostics;
using System.Net;
using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class DatabaseHostTests : KernelNetworkTest
{
    [Test]
    public async Task A_host_answers_on_its_own_address_over_its_own_link()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);

        var client = await ConnectAsync(server.EndPoint);
        var answer = await client.ExchangeAsync("hello"u8.ToArray(), TimeSpan.FromSeconds(5), Timeout);

        answer.Should().Equal("hello"u8.ToArray());
        server.EndPoint.Address.Should().Be(host.Address);
        ((IPEndPoint)client.LocalEndPoint!).Address.Should().Be(host.ApplicationAddress, "the harness reaches the host over the veth, not loopback");
        server.Peers.Should().ContainSingle().Which.Address.Should().Be(host.ApplicationAddress);
        host.Namespace.Should().StartWith($"chaos-{host.RunId}-");
        File.Exists($"/var/run/netns/{host.Namespace}").Should().BeTrue();
        (await File.ReadAllTextAsync($"/sys/class/net/{host.LinkName}/ifalias", Timeout)).Trim().Should().Be(host.Namespace);
        IPNetwork.Parse(KernelNetwork.AddressRange).Contains(host.Address).Should().BeTrue();
    }

    [Test]
    public async Task Sixteen_hosts_created_at_once_get_distinct_subnets_and_all_answer()
    {
        var runId = await RunIdAsync(Timeout);

        var hosts = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => DatabaseHost.CreateAsync(runId, Timeout)));
        foreach (var h in hosts) Own(h);

        hosts.Select(h => h.Slot).Should().OnlyHaveUniqueItems();
        hosts.Select(h => h.Namespace).Should().OnlyHaveUniqueItems();
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            var server = await StartEchoServerAsync(h);
            var client = await ConnectAsync(server.EndPoint);
            return await client.ExchangeAsync([(byte)h.Slot], TimeSpan.FromSeconds(5), Timeout);
        }));
        answers.Select(a => a[0]).Should().Equal(hosts.Select(h => (byte)h.Slot));

        await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()));
        hosts.Should().OnlyContain(h => !File.Exists($"/var/run/netns/{h.Namespace}") && !Directory.Exists($"/sys/class/net/{h.LinkName}"));
    }

    [Test]
    public async Task A_program_wrapped_by_the_host_runs_inside_it_and_dies_with_it()
    {
        var host = await CreateHostAsync();
        using var sleeper = Process.Start(host.Wrap(new ProcessStartInfo("sleep") { ArgumentList = { "60" } }))!;

        // ip netns exec execs in place: the pid we started is the program's, inside the host's namespace.
        await TestServersEventually(() => ProcessNetns(sleeper.Id) != ProcessNetns(Environment.ProcessId), "the program to enter the namespace");
        var identify = await NetTool.RunAsync(NetTool.Ip, ["netns", "identify", sleeper.Id.ToString()], Timeout);
        identify.Stdout.Trim().Should().Be(host.Namespace);

        await host.DisposeAsync();

        sleeper.WaitForExit(TimeSpan.FromSeconds(10)).Should().BeTrue("disposing a host stops what still runs inside it");
        File.Exists($"/var/run/netns/{host.Namespace}").Should().BeFalse();
        Directory.Exists($"/sys/class/net/{host.LinkName}").Should().BeFalse();
    }

    [Test]
    public async Task Creating_and_disposing_a_host_takes_well_under_a_second_at_the_median()
    {
        var runId = await RunIdAsync(Timeout);
        await (await DatabaseHost.CreateAsync(runId, Timeout)).DisposeAsync(); // warm: first-call reaping, JIT
        var create = new List<double>();
        var dispose = new List<double>();

        for (var i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            var host = await DatabaseHost.CreateAsync(runId, Timeout);
            create.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await host.DisposeAsync();
            dispose.Add(clock.Elapsed.TotalMilliseconds);
        }

        static double P(List<double> xs, double q) => xs.Order().ElementAt((int)Math.Ceiling(q * xs.Count) - 1);
        TestContext.Out.WriteLine($"create p50 {P(create, 0.5):0} ms p90 {P(create, 0.9):0} ms; dispose p50 {P(dispose, 0.5):0} ms p90 {P(dispose, 0.9):0} ms (n=20)");
        P(create, 0.5).Should().BeLessThan(1000);
        P(dispose, 0.5).Should().BeLessThan(1000);
    }

    [Test]
    public void Rules_refuse_settings_the_kernel_cannot_honour()
    {
        FluentActions.Invoking(() => new PacketLoss(101)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new IdleFlowDrop(TimeSpan.FromMilliseconds(1500))).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*whole number of seconds*");
        FluentActions.Invoking(() => new IdleFlowReset(TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private static string ProcessNetns(int pid) => new FileInfo($"/proc/{pid}/ns/net").LinkTarget ?? "";

    private static Task TestServersEventually(Func<bool> condition, string what) =>
        Chaos.Tests.Support.TestServers.EventuallyAsync(condition, TimeSpan.FromSeconds(5), what);
}
