using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class EarlyExitChains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Chain",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Chain",
                table: "TrainingResults");
        }
    }
}
