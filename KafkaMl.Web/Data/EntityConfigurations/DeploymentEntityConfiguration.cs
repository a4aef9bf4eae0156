using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class DeploymentEntityConfiguration : IEntityTypeConfiguration<Deployment>
{
    public void Configure(EntityTypeBuilder<Deployment> deployment)
    {
        deployment.ToTable("Deployments");
        deployment.HasOne(d => d.Configuration)
            .WithMany(c => c.Deployments)
            .HasForeignKey(d => d.ConfigurationId)
            .OnDelete(DeleteBehavior.Restrict);
        deployment.HasMany(d => d.Results)
            .WithOne(r => r.Deployment)
            .HasForeignKey(r => r.DeploymentId)
            .OnDelete(DeleteBehavior.Cascade);
        deployment.PrimitiveCollection(d => d.Metrics);
        // One JSON column, null for a bounded deployment: the settings are read and written as a whole.
        deployment.Property(d => d.Incremental).HasJsonConversion();
        // Likewise, null for a supervised deployment.
        deployment.Property(d => d.SemiSupervised).HasJsonConversion();
        // And null for a deployment that is not federated.
        deployment.Property(d => d.Federated).HasJsonConversion();
    }
}
