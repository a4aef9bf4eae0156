namespace KafkaMl.Web.Apis;

/// <summary>Body of <c>POST /api/configurations</c> and <c>PUT /api/configurations/{id}</c>.</summary>
public sealed record ConfigurationRequest(string? Name, string? Description, IReadOnlyList<int>? ModelIds);

/// <summary>A configuration as the API shows it; <see cref="ModelIds"/> ascending.</summary>
public sealed record ConfigurationResponse(int Id, string Name, string Description, IReadOnlyList<int> ModelIds);
