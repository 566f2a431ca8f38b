using Chaos.Cli;

return await ChaosCli.RunAsync(args);
