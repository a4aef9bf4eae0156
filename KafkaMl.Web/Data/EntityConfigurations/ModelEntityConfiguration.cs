using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class ModelEntityConfiguration : IEntityTypeConfiguration<Model>
{
    public void Configure(EntityTypeBuilder<Model> model)
    {
        model.ToTable("Models");
        model.HasUniqueNameIgnoringCase(m => m.Name, Model.NameMaxLength);
        model.Property(m => m.Description);
        model.Property(m => m.Code);
    }
}
