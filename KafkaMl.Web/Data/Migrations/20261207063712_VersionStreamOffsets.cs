using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class VersionStreamOffsets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "StreamOffsets",
                table: "ModelVersions",
                type: "TEXT",
                nullable: false,
                defaultValue: "{}"); // versions published before: no position (they resume from the committed offsets)
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "StreamOffsets",
                table: "ModelVersions");
        }
    }
}
