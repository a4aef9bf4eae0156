using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class DatasourceControlPosition : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ControlPosition",
                table: "Datasources",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Datasources_ControlPosition_Time",
                table: "Datasources",
                columns: new[] { "ControlPosition", "Time" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Datasources_ControlPosition_Time",
                table: "Datasources");

            migrationBuilder.DropColumn(
                name: "ControlPosition",
                table: "Datasources");
        }
    }
}
