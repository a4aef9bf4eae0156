using KafkaMl.Web.Cli;
using KafkaMl.Web.Hosting;
using Microsoft.Extensions.Options;

if (await Verbs.TryRunAsync(args) is { } exitCode)
    return exitCode;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddKafkaMlPortal();
    var app = builder.Build();
    app.MapKafkaMlPortal();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartFailure.IsPortInUse(e))
{
    // The commonest start failure: say which port, without a stack trace.
    Console.Error.WriteLine($"KafkaMl could not start: {e.Message}");
    return 1;
}
catch (OptionsValidationException e)
{
    // A setting is wrong: the messages name it.
    Console.Error.WriteLine($"KafkaMl could not start: {string.Join(" ", e.Failures)}");
    return 1;
}

public partial class Program;
