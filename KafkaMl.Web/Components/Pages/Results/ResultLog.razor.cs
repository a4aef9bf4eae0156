using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>The tail of a result's training-job log, as the runner keeps it; "no log kept" is said, not an error.</summary>
public sealed partial class ResultLog : IDisposable
{
    /// <summary>How often the log is read again while <see cref="Live"/>.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(3);

    private static readonly int[] LineChoices = [50, ResultService.DefaultLogLines, 1000, 5000];

    private readonly CancellationTokenSource stop = new();
    private int lines = ResultService.DefaultLogLines;
    private Outcome<string>? outcome;
    private string? error;
    private bool loading;
    private bool wasLive;

    [Parameter, EditorRequired] public int ResultId { get; set; }

    /// <summary>The job is running: read the log again every few seconds.</summary>
    [Parameter] public bool Live { get; set; }

    [Inject] private ResultService Views { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        wasLive = Live;
        // Not while prerendering: that page lives for one request.
        if (RendererInfo.IsInteractive) _ = PollAsync();
        await RefreshAsync();
    }

    protected override async Task OnParametersSetAsync()
    {
        // The job has just ended: read its last lines once more.
        if (wasLive && !Live) await RefreshAsync();
        wasLive = Live;
    }

    private async Task RefreshAsync()
    {
        loading = true;
        try
        {
            outcome = await Views.LogAsync(ResultId, lines, stop.Token);
            error = null;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            error = e.Message;
        }
        finally
        {
            loading = false;
        }
    }

    private async Task LinesChangedAsync(int value)
    {
        lines = value;
        await RefreshAsync();
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                if (!Live || loading) continue;
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
    }
}
