using System.Text;
using System.Text.Json;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// The one nftables table of a database host, <c>inet chaos</c>, inside the host's namespace (so it
/// lives and dies with it). Created once with the host:
/// <code>
///   prerouting/output (raw)   loopback traffic is not tracked (PgBouncer → postgres stays out of conntrack)
///   input  (filter)           eth0: count invalid packets (the ct rule keeps tracking on); jump inbound
///   output (filter)           eth0: jump outbound
///   inbound, outbound         the active rule's rules; empty when healthy
/// </code>
/// Applying a rule flushes and refills inbound and outbound in one nft transaction, so there is no
/// moment with half a rule, and a heal is the same transaction with nothing to add.
/// </summary>
internal static class HostTable
{
    public const string Family = "inet";
    public const string Name = "chaos";
    public const string Link = "eth0";
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static string Create(string runId, string netns) => $$"""
        table {{Family}} {{Name}} {
            comment "chaos run {{runId}}, database host {{netns}}: faults go in chains {{Inbound}} and {{Outbound}}"
            chain untracked_in {
                type filter hook prerouting priority raw; policy accept;
                iifname "lo" notrack
            }
            chain untracked_out {
                type filter hook output priority raw; policy accept;
                oifname "lo" notrack
            }
            chain input {
                type filter hook input priority filter; policy accept;
                iifname "{{Link}}" ct state invalid counter comment "packets of flows conntrack does not know; this ct rule also keeps tracking on"
                iifname "{{Link}}" jump {{Inbound}}
            }
            chain output {
                type filter hook output priority filter; policy accept;
                oifname "{{Link}}" jump {{Outbound}}
            }
            chain {{Inbound}} {
            }
            chain {{Outbound}} {
            }
        }

        """;

    /// <summary>The transaction that makes <paramref name="rules"/> the host's only fault rules.</summary>
    public static string Replace(RuleSet rules)
    {
        var script = new StringBuilder(Clear());
        foreach (var rule in rules.Inbound) script.Append($"add rule {Family} {Name} {Inbound} {rule}\n");
        foreach (var rule in rules.Outbound) script.Append($"add rule {Family} {Name} {Outbound} {rule}\n");
        return script.ToString();
    }

    public static string Clear() =>
        $"flush chain {Family} {Name} {Inbound}\nflush chain {Family} {Name} {Outbound}\n";

    /// <summary>Packets counted by each rule of inbound and outbound, from <c>nft -j list table</c>: what the rules really did.</summary>
    public static RuleCounters Counters(string json)
    {
        var inbound = new List<long>();
        var outbound = new List<long>();
        long invalid = 0;
        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule)) continue;
            var packets = rule.GetProperty("expr").EnumerateArray()
                .Where(e => e.TryGetProperty("counter", out _))
                .Select(e => e.GetProperty("counter").GetProperty("packets").GetInt64())
                .FirstOrDefault();
            switch (rule.GetProperty("chain").GetString())
            {
                case Inbound: inbound.Add(packets); break;
                case Outbound: outbound.Add(packets); break;
                case "input": invalid += packets; break;
            }
        }
        return new RuleCounters(inbound, outbound, invalid);
    }
}

/// <summary>Packets each rule matched, in rule order; <see cref="Invalid"/>: inbound packets of flows conntrack did not know.</summary>
internal sealed record RuleCounters(IReadOnlyList<long> Inbound, IReadOnlyList<long> Outbound, long Invalid)
{
    public long InboundTotal => Inbound.Sum();
    public long OutboundTotal => Outbound.Sum();
}
