using KafkaMl.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class DatasourceEntityConfiguration : IEntityTypeConfiguration<Datasource>
{
    public void Configure(EntityTypeBuilder<Datasource> datasource)
    {
        datasource.ToTable("Datasources");
        // DeploymentId is deliberately not a foreign key: the control-message log outlives deployments.
        datasource.HasIndex(d => d.DeploymentId);
    }
}
