using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class DashboardEntityConfiguration : IEntityTypeConfiguration<Dashboard>
{
    public void Configure(EntityTypeBuilder<Dashboard> dashboard)
    {
        dashboard.ToTable("Dashboards");
        dashboard.Property(d => d.Title).HasMaxLength(Dashboard.TitleMaxLength);
        dashboard.Property(d => d.Type).HasConversion<EnumNameConverter<DashboardType>>();
        dashboard.Property(d => d.Labels).HasJsonConversion();
        // An inference has one dashboard of its own (the unique index makes a lazy creation race-safe); deleting the
        // inference keeps the dashboard, which a user may have tuned and pinned, as a dashboard on its topic.
        dashboard.HasOne<Inference>()
            .WithMany()
            .HasForeignKey(d => d.InferenceId)
            .OnDelete(DeleteBehavior.SetNull);
        dashboard.HasIndex(d => d.InferenceId).IsUnique();
    }
}
