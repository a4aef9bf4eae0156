using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class ModelEntityConfiguration : IEntityTypeConfiguration<Model>
{
    public void Configure(EntityTypeBuilder<Model> model)
    {
        model.ToTable("Models");
        // NOCASE: the unique index and every comparison on the column ignore (ASCII) case.
        model.Property(m => m.Name).HasMaxLength(Model.NameMaxLength).UseCollation("NOCASE");
        model.HasIndex(m => m.Name).IsUnique();
        model.Property(m => m.Description);
        model.Property(m => m.Code);
    }
}
