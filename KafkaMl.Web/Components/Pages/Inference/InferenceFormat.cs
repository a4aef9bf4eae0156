using System.Globalization;

namespace KafkaMl.Web.Components.Pages.Inference;

/// <summary>How the inference pages write figures.</summary>
public static class InferenceFormat
{
    /// <summary>Milliseconds with one decimal, or a dash before the first delivery.</summary>
    public static string Ms(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "–";
}
