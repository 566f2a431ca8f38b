using System.Diagnostics;
using System.Text;

namespace Chaos.Harness.Network.Kernel;

internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs <c>ip</c>, <c>nft</c> and <c>conntrack</c>: arguments as a list (nothing goes through a shell),
/// every call bounded, and a failure reported with the command line and its stderr.
/// </summary>
internal static class NetTool
{
    /// <summary>
    /// A netlink call answers in milliseconds; seconds mean the machine is badly overloaded or the kernel
    /// is stuck on something (a namespace teardown), and the caller should hear about it instead of waiting.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    // sbin first: a non-root PATH often lacks it, and these tools live there on Debian.
    private static readonly string[] s_dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    private static readonly Lazy<string?> s_ip = new(() => Find("ip"));
    private static readonly Lazy<string?> s_nft = new(() => Find("nft"));
    private static readonly Lazy<string?> s_conntrack = new(() => Find("conntrack"));
    private static readonly Lazy<string?> s_ss = new(() => Find("ss"));

    public static string? IpPath => s_ip.Value;
    public static string? NftPath => s_nft.Value;
    public static string? ConntrackPath => s_conntrack.Value;

    /// <summary>iproute2's ss, which comes with ip.</summary>
    public static string? SsPath => s_ss.Value;

    public static string Ip => IpPath ?? throw Missing("ip", "iproute2");
    public static string Nft => NftPath ?? throw Missing("nft", "nftables");
    public static string Conntrack => ConntrackPath ?? throw Missing("conntrack", "conntrack");

    public static KernelNetworkException Missing(string tool, string package) =>
        new($"needs {tool}: apt-get install {package}");

    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(':', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return s_dirs.Concat(path).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs a tool and throws unless it exits 0.</summary>
    public static async Task<ToolResult> RunAsync(string exe, IReadOnlyList<string> args, CancellationToken ct, string? stdin = null, TimeSpan? timeout = null)
    {
        var result = await TryRunAsync(exe, args, ct, stdin, timeout);
        if (result.ExitCode != 0) throw Failed(exe, args, result, stdin);
        return result;
    }

    /// <summary>Runs a tool and returns whatever it exited with; only a timeout or a failure to start throws.</summary>
    public static async Task<ToolResult> TryRunAsync(string exe, IReadOnlyList<string> args, CancellationToken ct, string? stdin = null, TimeSpan? timeout = null)
    {
        var bound = timeout ?? DefaultTimeout;
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            // The tools are parsed by message text in a few places ("File exists"): keep them in English.
            Environment = { ["LC_ALL"] = "C" },
        };
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var process = Process.Start(psi) ?? throw new KernelNetworkException($"could not start {CommandLine(exe, args)}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(bound);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            if (stdin is not null)
            {
                try
                {
                    await process.StandardInput.WriteAsync(stdin.AsMemory(), cts.Token);
                    process.StandardInput.Close();
                }
                catch (IOException) { /* it exited before reading all of it: its exit code and stderr say why */ }
            }
            await process.WaitForExitAsync(cts.Token);
            return new ToolResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
            if (ct.IsCancellationRequested) throw;
            throw new KernelNetworkException($"{CommandLine(exe, args)} did not finish within {bound.TotalSeconds:0.#}s");
        }
    }

    public static KernelNetworkException Failed(string exe, IReadOnlyList<string> args, ToolResult result, string? stdin = null)
    {
        var message = new StringBuilder($"{CommandLine(exe, args)} failed (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        if (stdin is not null) message.Append("\ninput was:\n").Append(stdin);
        return new KernelNetworkException(message.ToString());
    }

    public static string CommandLine(string exe, IEnumerable<string> args) =>
        string.Join(' ', args.Prepend(exe).Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,".Contains(c)) ? a : $"'{a}'"));
}
