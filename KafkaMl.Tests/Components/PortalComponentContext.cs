using Bunit.TestDoubles;
using Bunit;
using KafkaMl.Tests.Apis;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;
using MudBlazor;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Components;

/// <summary>
/// bUnit with the portal's real use-case services: <see cref="ResultService"/> and the others over a real SQLite database, the real
/// <see cref="ResultsNotifier"/> and orchestrator, and a <see cref="FakeJobRunner"/> (all from a <see cref="TrainingHarness"/>).
/// Pages render inside MudBlazor's providers, as in the layout; JavaScript (Plotly, MudBlazor) is answered loosely.
/// Disposed asynchronously (MudBlazor's services are only <see cref="IAsyncDisposable"/>).
/// </summary>
public abstract class PortalComponentContext : IAsyncLifetime
{
    private readonly BunitContext bunit = new();
    private readonly BunitAuthorizationContext authorization;

    /// <summary>Compiled scripts are cached by code hash: one compiler for every spec spares recompiling the templates.</summary>
    private static readonly ModelScriptCompiler Compiler = new();

    /// <param name="kafka">The Kafka the upload component sends to (an embedded broker for its specs); else the harness's address, never dialled.</param>
    protected PortalComponentContext(KafkaEndpoint? kafka = null)
    {
        // Patience for a shared machine, not a timing assertion: the waits end as soon as the page shows the change.
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(30);
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(Training.Notifier);
        Services.AddSingleton(Training.Orchestrator);
        Services.AddSingleton<IJobRunner>(Training.Runner);
        Services.AddSingleton<IDbContextFactory<KafkaMlDbContext>>(new Apis.TestContexts(Training.Database));
        Services.AddKafkaMlUseCases();
        // Pages show or hide actions by policy (AuthorizeView Policy=...): bUnit's principal, the portal's real policies
        // (bUnit's own authorization service would only match policy names). Pages render as an admin sees them.
        authorization = bunit.AddAuthorization();
        Services.AddAuthorizationCore(KafkaMlPolicies.AddTo);
        Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        SignInAs(KafkaMlRoles.Admin);
        // The forms' services: the API's services over the same database, the real model check in a child process.
        Services.AddLogging();
        Services.AddScoped<PortalQueries>();
        Services.AddScoped<PortalForms>();
        Services.AddScoped<PortalWriteGuard>();
        Services.AddSingleton(new ModelValidator(Compiler, new ChildProcessModelBuildChecker(new ModelScriptChecker(new ModelScriptCheckerOptions
        {
            ExecutablePath = KafkaMlProcess.WebDllPath,
            TimeLimit = TimeSpan.FromMinutes(2), // patience for a shared machine
        }))));
        Services.AddSingleton(kafka ?? Training.Kafka);
        Services.AddSingleton<KafkaProducerHandle>();
        Services.AddSingleton<CsvUploader>();
        AddServices(Services);
        bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true)); // last: it starts the renderer
    }

    protected TrainingHarness Training { get; } = new();

    /// <summary>What follows renders for a signed-in <paramref name="role"/> (with the roles below it, as the portal's principals carry).</summary>
    protected void SignInAs(string role) =>
        authorization.SetAuthorized(role == KafkaMlRoles.Admin ? KafkaMl.Tests.Support.TestAdmin.UserName : role).SetRoles([.. KafkaMlRoles.Implied(role)]);

    /// <summary>More services a page under test needs; called once from the constructor, before anything renders.</summary>
    protected virtual void AddServices(BunitServiceProvider services)
    {
    }

    /// <summary>
    /// What the inference pages need: the monitor, the orchestrator over the harness's runner, and the inference service
    /// with the dashboards it makes an inference's dashboard with (a hub that reads only when a dashboard is watched).
    /// </summary>
    protected void AddInferenceServices(BunitServiceProvider services)
    {
        services.AddSingleton(new InferenceMonitor(TimeProvider.System, NullLogger<InferenceMonitor>.Instance));
        services.AddSingleton(new InferenceOrchestrator(Training.Runner, Training.Jobs, NullLogger<InferenceOrchestrator>.Instance));
        services.TryAddSingleton(sp => new KafkaMl.Web.Services.Dashboards.DashboardHub(sp.GetRequiredService<KafkaEndpoint>(),
            Microsoft.Extensions.Options.Options.Create(new KafkaMl.Web.Services.Dashboards.DashboardOptions()), TimeProvider.System,
            NullLogger<KafkaMl.Web.Services.Dashboards.DashboardHub>.Instance));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KafkaMl.Web.Services.Dashboards.DashboardService>();
        services.AddSingleton<InferenceService>();
    }

    protected BunitServiceProvider Services => bunit.Services;

    protected BunitJSInterop JSInterop => bunit.JSInterop;

    protected IRenderedComponent<TComponent> Render<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>> parameters)
        where TComponent : IComponent => bunit.Render(parameters);

    protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>Renders <typeparamref name="TPage"/> with <paramref name="parameters"/> after the popover, dialog and snackbar providers.</summary>
    protected IRenderedComponent<IComponent> RenderWithProviders<TPage>(params (string Name, object? Value)[] parameters) where TPage : IComponent =>
        bunit.Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<TPage>(3);
            foreach (var (name, value) in parameters) builder.AddComponentParameter(4, name, value);
            builder.CloseComponent();
        });

    /// <summary>The job reports an epoch through the portal's handler: stored, then announced to the pages.</summary>
    protected async Task ReportEpochAsync(int resultId, int epoch, double loss = 0.5, double accuracy = 0.8)
    {
        await using var db = Training.CreateContext();
        var outcome = await TrainingJobsApi.ReportEpoch(resultId, OrchestrationBuilders.AnEpoch(epoch, loss, accuracy), db, Training.Notifier, Ct);
        Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.NoContent>(outcome.Result);
    }

    /// <summary>The job reports a status (with its stream when <paramref name="withData"/>), as it does when data arrives.</summary>
    protected async Task ReportStatusAsync(int resultId, string status, bool withData = false, string? error = null)
    {
        await using var db = Training.CreateContext();
        var report = new TrainingStatusReport(status, error, withData ? OrchestrationBuilders.AHcopdDataReport() : null);
        var outcome = await TrainingJobsApi.ReportStatus(resultId, report, db, Training.Notifier, Ct);
        Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.NoContent>(outcome.Result);
    }

    /// <summary>A deployment of one configuration with one result per new model, each in <paramref name="status"/>; the results' ids.</summary>
    protected async Task<(int DeploymentId, int[] ResultIds)> SeedDeploymentAsync(int models, TrainingStatus status = TrainingStatus.Training)
    {
        var modelIds = new List<int>();
        for (var i = 0; i < models; i++) modelIds.Add((await Training.Database.SeedModelAsync()).Id);
        var configuration = await Training.Database.SeedConfigurationAsync([.. modelIds]);
        var deployment = await Training.Database.SeedDeploymentAsync(configuration.Id, [.. modelIds]);
        await using var db = Training.CreateContext();
        await db.TrainingResults.Where(r => r.DeploymentId == deployment.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.Status, status));
        var ids = await db.TrainingResults.Where(r => r.DeploymentId == deployment.Id).OrderBy(r => r.Id).Select(r => r.Id).ToArrayAsync();
        return (deployment.Id, ids);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await bunit.DisposeAsync();
        Training.Dispose();
    }
}

internal static class RenderedPortalExtensions
{
    /// <summary>The chart titled <paramref name="title"/>'s wrapper element (its data-points and data-series attributes).</summary>
    public static AngleSharp.Dom.IElement Chart(this IRenderedComponent<IComponent> page, string title) =>
        page.Find($"[data-testid=metric-chart][data-metric='{title}']");

    public static IRenderedComponent<Web.Components.Shared.MetricChart> ChartComponent(this IRenderedComponent<IComponent> page, string title) =>
        page.FindComponents<Web.Components.Shared.MetricChart>().Single(c => c.Instance.Title == title);

    public static string Text(this IRenderedComponent<IComponent> page, string testId) =>
        page.Find($"[data-testid={testId}]").TextContent.Trim();
}
