namespace KafkaMl.Web.Apis;

/// <summary>Body of <c>POST /api/models</c> and <c>PUT /api/models/{id}</c>.</summary>
public sealed record ModelRequest(string? Name, string? Description, string? Code);

/// <summary>A model as the API shows it.</summary>
public sealed record ModelResponse(int Id, string Name, string Description, string Code, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ModelResponse From(Model model) =>
        new(model.Id, model.Name, model.Description, model.Code, model.CreatedAt, model.UpdatedAt);
}
