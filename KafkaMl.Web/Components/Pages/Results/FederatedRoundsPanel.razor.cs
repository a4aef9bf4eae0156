using Confluent.Kafka;
using KafkaMl.Core.Federated;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// The rounds of a federated result, live: loads its rounds (kept as its epochs) and its sites (read from the cloud
/// broker's updates topic), and loads both again whenever the result reports a round or changes status.
/// </summary>
public sealed partial class FederatedRoundsPanel : IDisposable
{
    private IReadOnlyList<EpochPoint> rounds = [];
    private IReadOnlyList<KnownSite>? sites;
    private string? sitesError;
    private string? error;
    private bool loaded;
    private bool disposed;
    private int? subscribedTo;
    private IDisposable? subscription;

    [Parameter, EditorRequired] public int ResultId { get; set; }

    [Inject] private ResultService Views { get; set; } = default!;

    [Inject] private FederationService Federation { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (subscribedTo == ResultId) return;
        subscription?.Dispose();
        subscribedTo = ResultId;
        loaded = false;
        subscription = Notifier.Subscribe(ResultId, OnChangeAsync);
        await LoadAsync();
        loaded = true;
    }

    private Task OnChangeAsync(ResultChange change) =>
        disposed ? Task.CompletedTask : InvokeAsync(async () =>
        {
            await LoadAsync();
            StateHasChanged();
        });

    private async Task LoadAsync()
    {
        try
        {
            rounds = await Views.EpochsAsync(ResultId);
            error = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e.Message;
        }
        try
        {
            sites = await Federation.SitesAsync(ResultId);
            sitesError = null;
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            sitesError = e.Message;
        }
    }

    public void Dispose()
    {
        disposed = true;
        subscription?.Dispose();
    }
}
