using KafkaMl.Web.Apis;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// One training result: header (model, deployment, live status, error, stream), stop / delete / download, the live
/// learning curves (<see cref="ResultCharts"/>), a semi-supervised run's rounds (<see cref="SelfTrainingCharts"/>), the final metrics, the confusion matrix, the published versions
/// (<see cref="VersionsTable"/>) and the job's log. A status change announced by the notifier (a published version
/// and a self-training round announce one too) reloads the header, metrics and versions; epochs only extend the charts.
/// </summary>
public sealed partial class ResultDetailPage : IDisposable
{
    private ResultDetail? detail;
    private IReadOnlyList<ModelVersionResponse> versions = [];
    private bool loaded;
    private bool busy;
    private string? error;
    private string? actionError;
    private IDisposable? subscription;
    private int? subscribedTo;
    private bool disposed;

    [Parameter] public int Id { get; set; }

    [Inject] private ResultService Views { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    [Inject] private IDialogService Dialogs { get; set; } = default!;

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (subscribedTo == Id) return;
        subscription?.Dispose();
        subscribedTo = Id;
        detail = null;
        loaded = false;
        actionError = null;
        subscription = Notifier.Subscribe(Id, OnChangeAsync);
        await LoadAsync();
    }

    private Task OnChangeAsync(ResultChange change)
    {
        // Epochs are the charts' business; the header changes with the status (an epoch may carry a new one too).
        if (disposed || (change.Kind == ResultChangeKind.Epoch && change.Status == detail?.Status)) return Task.CompletedTask;
        return InvokeAsync(async () =>
        {
            await LoadAsync();
            StateHasChanged();
        });
    }

    private async Task LoadAsync()
    {
        error = await PageLoad.ErrorOfAsync(async () =>
        {
            detail = await Views.DetailAsync(Id);
            versions = (await Views.VersionsAsync(Id)).Value ?? [];
        });
        loaded = true;
    }

    private async Task StopAsync()
    {
        busy = true;
        try
        {
            var outcome = await Views.StopAsync(Id);
            if (outcome.Succeeded)
                Snackbar.Add($"Result {Id} stopped.", Severity.Success);
            else
                actionError = outcome.Problem;
            await LoadAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            actionError = $"Stopping result {Id} failed: {e.Message}";
        }
        finally
        {
            busy = false;
        }
    }

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Delete this result?",
            $"Result {Id} ({detail?.Model}), its epoch history and its trained weights will be deleted"
            + (detail?.CanStop == true ? "; its training job is stopped first." : "."),
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;

        busy = true;
        try
        {
            var outcome = await Views.DeleteAsync(Id);
            switch (outcome.Kind)
            {
                case OutcomeKind.Ok:
                    Snackbar.Add($"Result {Id} deleted.", Severity.Success);
                    Navigation.NavigateTo("results");
                    break;
                case OutcomeKind.NotFound:
                    detail = null;
                    actionError = outcome.Problem;
                    break;
                default:
                    actionError = outcome.Problem;
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            actionError = $"Deleting result {Id} failed: {e.Message}";
        }
        finally
        {
            busy = false;
        }
    }

    public void Dispose()
    {
        disposed = true;
        subscription?.Dispose();
    }
}
