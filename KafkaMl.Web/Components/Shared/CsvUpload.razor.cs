using KafkaMl.Core.Streaming;
using KafkaMl.Core.Sinks;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace KafkaMl.Web.Components.Shared;

/// <summary>
/// The upload component (<c>&lt;CsvUpload DeploymentId="@id" /&gt;</c> or <c>&lt;CsvUpload Topic=... InputFormat=... InputConfig=... /&gt;</c>):
/// the browser's file is first copied to a temporary file on the portal (bounded by <see cref="CsvUploader.MaxFileBytes"/>),
/// its header offered as label columns, then <see cref="CsvUploader"/> checks and streams it.
/// </summary>
public partial class CsvUpload
{
    private const int CopyBufferBytes = 64 * 1024;

    /// <summary>Training data for this deployment (with the control message after).</summary>
    [Parameter] public int? DeploymentId { get; set; }

    /// <summary>The deployment trains incrementally: the upload is an online stream (control message first).</summary>
    [Parameter] public bool Online { get; set; }

    /// <summary>A plain topic to send samples to (no control message); needs <see cref="InputFormat"/>.</summary>
    [Parameter] public string? Topic { get; set; }

    [Parameter] public string InputFormat { get; set; } = "RAW";

    /// <summary>The format's <c>input_config</c> as JSON (null: the format's defaults).</summary>
    [Parameter] public string? InputConfig { get; set; }

    /// <summary>Called after a successful upload.</summary>
    [Parameter] public EventCallback<CsvUploadOutcome> OnSent { get; set; }

    [Inject] private CsvUploader Uploader { get; set; } = default!;

    private readonly CancellationTokenSource closing = new();
    private string? fileName;
    private string? path;
    private IReadOnlyList<string> columns = [];
    private string? label;
    private double? percent;
    private string? phaseText;
    private CsvUploadOutcome? outcome;

    private bool Busy { get; set; }

    private bool IsDeployment => DeploymentId is not null;

    private string TopicName => DeploymentId is { } id ? TopicNames.DeploymentData(id) : Topic ?? "";

    private static string MaxSizeText => $"{CsvUploader.MaxFileBytes >> 20} MB";

    private string ResultText => outcome switch
    {
        { Succeeded: false } failed => failed.Problem!,
        { Ranges: { } ranges } sent => $"Sent {sent.Sent} samples to {sent.Topic} and the control message for deployment {DeploymentId} (ranges {ranges}).",
        { } sent => $"Sent {sent.Sent} samples to {sent.Topic}.",
        _ => "",
    };

    private async Task OnFileChosenAsync(InputFileChangeEventArgs e)
    {
        DeleteTemporaryFile();
        outcome = null;
        columns = [];
        var file = e.File;
        fileName = file.Name;
        if (file.Size > CsvUploader.MaxFileBytes)
        {
            Fail($"{file.Name} is {file.Size >> 20} MB; the portal takes files up to {MaxSizeText}. Use the send verb for larger files.");
            return;
        }

        Busy = true;
        var temporary = Path.Combine(Path.GetTempPath(), $"kafkaml-upload-{Guid.NewGuid():N}.csv");
        try
        {
            await CopyToAsync(file, temporary);
            path = temporary;
            columns = CsvUploader.Columns(temporary);
            // The last column is the label by default (the contract of this component); the user can pick another.
            label = columns[^1];
            phaseText = $"{file.Name}: {file.Size:N0} bytes, {columns.Count} columns. Choose the {(IsDeployment ? "label" : "column to leave out")} and send.";
            percent = null;
        }
        catch (CsvSampleException ex)
        {
            Fail($"{file.Name}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            Fail($"{file.Name} could not be received: {ex.Message}");
        }
        finally
        {
            Busy = false;
            if (path is null && File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private async Task CopyToAsync(IBrowserFile file, string destination)
    {
        await using var source = file.OpenReadStream(CsvUploader.MaxFileBytes, closing.Token);
        await using var target = File.Create(destination);
        var buffer = new byte[CopyBufferBytes];
        long copied = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, closing.Token)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, read), closing.Token);
            copied += read;
            ShowProgress($"Receiving {file.Name}…", copied, file.Size);
        }
    }

    private async Task StartAsync()
    {
        if (path is null) return;
        CsvUploadTarget target = DeploymentId is { } id
            ? new CsvUploadTarget.Deployment(id, Online: Online)
            : new CsvUploadTarget.Topic(Topic ?? "", InputFormat, InputConfig);
        Busy = true;
        outcome = null;
        ShowProgress("Checking every row…", 0, 0);
        try
        {
            var progress = new Progress<CsvUploadProgress>(p => _ = InvokeAsync(() =>
            {
                if (!Busy) return;
                if (p.Phase == CsvUploadPhase.Checking) ShowProgress($"Checking every row… {p.Done:N0}", 0, 0);
                else ShowProgress($"Sending… {p.Done:N0} of {p.Total:N0}", p.Done, p.Total);
            }));
            outcome = await Uploader.SendAsync(path, fileName ?? "upload.csv", label, target, progress, closing.Token);
            phaseText = outcome.Succeeded ? "Done." : "Nothing more was sent.";
            percent = outcome.Succeeded ? 100 : percent ?? 0;
            if (outcome.Succeeded) await OnSent.InvokeAsync(outcome);
        }
        catch (OperationCanceledException)
        {
            Fail("The upload was cancelled when the page closed.");
        }
        finally
        {
            Busy = false;
        }
    }

    private void ShowProgress(string text, long done, long total)
    {
        phaseText = text;
        percent = total > 0 ? Math.Min(100, 100.0 * done / total) : null;
        StateHasChanged();
    }

    private void Fail(string problem)
    {
        outcome = CsvUploadOutcome.Fail(TopicName, problem);
        phaseText = null;
        percent = null;
    }

    private void DeleteTemporaryFile()
    {
        if (path is not null && File.Exists(path)) File.Delete(path);
        path = null;
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        closing.Dispose();
        DeleteTemporaryFile();
        GC.SuppressFinalize(this);
    }
}
