using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class ConfigurationEntityConfiguration : IEntityTypeConfiguration<Configuration>
{
    public const string ModelsJoinTable = "ConfigurationModels";

    public void Configure(EntityTypeBuilder<Configuration> configuration)
    {
        configuration.ToTable("Configurations");
        configuration.HasUniqueNameIgnoringCase(c => c.Name, Configuration.NameMaxLength);

        // Deleting a configuration drops its links; deleting a model that is still linked is refused.
        configuration.HasMany(c => c.Models)
            .WithMany(m => m.Configurations)
            .UsingEntity(
                ModelsJoinTable,
                toModel => toModel.HasOne(typeof(Model)).WithMany().HasForeignKey("ModelId").OnDelete(DeleteBehavior.Restrict),
                toConfiguration => toConfiguration.HasOne(typeof(Configuration)).WithMany().HasForeignKey("ConfigurationId").OnDelete(DeleteBehavior.Cascade),
                join => join.HasKey("ConfigurationId", "ModelId"));
    }
}
