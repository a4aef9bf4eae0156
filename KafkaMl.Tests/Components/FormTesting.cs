using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>Finding a form's fields as the browser test does: the input carrying a test id, or the one inside the element that does.</summary>
internal static class FormTesting
{
    public static IElement Input(this IRenderedComponent<IComponent> page, string testId) =>
        page.Find($"input[data-testid='{testId}'], select[data-testid='{testId}'], textarea[data-testid='{testId}'], " +
                  $"[data-testid='{testId}'] input:not([type=hidden]), [data-testid='{testId}'] select");

    /// <summary>Types a value and leaves the field (Mud fields take their value on change).</summary>
    public static void Fill(this IRenderedComponent<IComponent> page, string testId, string value) => page.Input(testId).Change(value);

    /// <summary>The message shown beside the field (MudBlazor's helper text in error), or "" when there is none.</summary>
    public static string FieldError(this IRenderedComponent<IComponent> page, string testId)
    {
        var control = page.Input(testId).Closest(".mud-input-control");
        return control?.QuerySelector(".mud-input-error .mud-input-helper-text, .mud-input-helper-text.mud-input-error")?.TextContent.Trim()
            ?? control?.QuerySelector(".mud-input-helper-text")?.TextContent.Trim()
            ?? "";
    }

    public static void Click(this IRenderedComponent<IComponent> page, string testId) => page.Find($"[data-testid='{testId}']").Click();
}
