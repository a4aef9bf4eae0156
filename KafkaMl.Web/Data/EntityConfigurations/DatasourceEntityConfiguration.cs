using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class DatasourceEntityConfiguration : IEntityTypeConfiguration<Datasource>
{
    public void Configure(EntityTypeBuilder<Datasource> datasource)
    {
        datasource.ToTable("Datasources");
        // DeploymentId is deliberately not a foreign key: the control-message log outlives deployments.
        datasource.HasIndex(d => d.DeploymentId);
        datasource.HasIndex(d => new { d.ControlPosition, d.Time }).IsUnique(); // a control message is logged once
    }
}
