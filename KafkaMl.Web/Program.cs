if (await KafkaMl.Web.Cli.Verbs.TryRunAsync(args) is { } verbExitCode) { Environment.ExitCode = verbExitCode; return; }
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Run();

public partial class Program;
