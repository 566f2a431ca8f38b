using Chaos.Harness.Cli;

return await ChaosCli.RunAsync(args);
