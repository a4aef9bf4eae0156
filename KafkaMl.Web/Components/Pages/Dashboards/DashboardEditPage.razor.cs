using KafkaMl.Core.Dashboards;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Components.Shared;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KafkaMl.Web.Components.Pages.Dashboards;

/// <summary>The dashboard form (new or edit), with the API's messages beside each field and a JSON import/export.</summary>
public sealed partial class DashboardEditPage
{
    private bool loaded;
    private bool busy;
    private string? loadError;
    private string? problem;
    private string? importError;
    private FieldErrors errors = FieldErrors.None;
    private string title = "";
    private string topic = "";
    private string type = "classification";
    private int window = 100;
    private bool averageUpdated;
    private bool pinned;
    private string? labelTopic;
    private List<LabelRow> labels = [];
    private string json = "";

    [Parameter] public int? Id { get; set; }

    [Inject] private DashboardService Dashboards { get; set; } = default!;

    [Inject] private PortalWriteGuard WriteGuard { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (Id is not { } id)
        {
            loaded = true;
            return;
        }
        loadError = await PageLoad.ErrorOfAsync(async () =>
        {
            var outcome = await Dashboards.GetAsync(id);
            if (outcome.Value is { } dashboard) Fill(dashboard.ToRequest());
            else loadError = outcome.Problem;
        }) ?? loadError;
        loaded = true;
    }

    private DashboardRequest Request() =>
        new(title, topic, type, window, averageUpdated, [.. labels.Select(l => new DashboardLabelRequest(l.Id, l.Label, l.Color))], labelTopic, pinned);

    private void Fill(DashboardRequest request)
    {
        (title, topic, type) = (request.Title ?? "", request.Topic ?? "", request.Type ?? "classification");
        (window, averageUpdated, pinned, labelTopic) = (request.Window ?? 100, request.AverageUpdated ?? false, request.Pinned ?? false, request.LabelTopic);
        labels = [.. (request.Labels ?? []).Select(l => new LabelRow { Id = l.Id ?? 0, Label = l.Label ?? "", Color = l.Color ?? DashboardPalette.ColorOf(l.Id ?? 0) })];
    }

    private void AddLabel()
    {
        var id = labels.Count == 0 ? 0 : labels.Max(l => l.Id) + 1;
        labels.Add(new LabelRow { Id = id, Label = id.ToString(System.Globalization.CultureInfo.InvariantCulture), Color = DashboardPalette.ColorOf(id) });
    }

    private void Export()
    {
        json = DashboardJson.Export(Request());
        importError = null;
    }

    private void Import()
    {
        var (request, error) = DashboardJson.Import(json, Request());
        importError = error;
        if (request is null) return;
        Fill(request);
        errors = new FieldErrors(DashboardService.Check(request));
    }

    private async Task SaveAsync()
    {
        busy = true;
        try
        {
            problem = await WriteGuard.RefusalAsync();
            if (problem is not null) return;
            var outcome = Id is { } id ? await Dashboards.UpdateAsync(id, Request()) : await Dashboards.CreateAsync(Request());
            var form = FormOutcome<DashboardResponse>.From(outcome);
            errors = form.Errors;
            problem = form.Problem;
            if (form.Value is not { } saved) return;
            Snackbar.Add($"Dashboard '{saved.Title}' saved.", Severity.Success);
            Navigation.NavigateTo($"dashboards/{saved.Id}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problem = $"Saving failed: {e.Message}";
        }
        finally
        {
            busy = false;
        }
    }

    private sealed class LabelRow
    {
        public int Id { get; set; }

        public string Label { get; set; } = "";

        public string Color { get; set; } = "";
    }
}
