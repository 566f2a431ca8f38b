using System.CommandLine;

namespace Chaos.Cli;

/// <summary>`chaos proxy`: the Toxiproxy-compatible server, standalone, with the same flags as toxiproxy/.</summary>
internal static class ProxyCommand
{
    public static Command Create(TextWriter error)
    {
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = WholeNumber.Option("--port", "API port (0 picks a free one).", 8474, min: 0, max: 65535);
        var config = new Option<string?>("--config") { Description = "A JSON array of proxies, as for POST /populate." };
        var command = new Command("proxy", "Run the Toxiproxy-compatible fault proxy standalone.") { host, port, config };
        command.SetAction((parse, ct) =>
        {
            var args = new List<string> { "--host", parse.GetValue(host)!, "--port", $"{parse.GetValue(port)}" };
            if (parse.GetValue(config) is { } file)
            {
                args.AddRange(["--config", file]);
            }
            return Toxiproxy.Standalone.RunAsync([.. args], Console.Out, error, ct);
        });
        return command;
    }
}
