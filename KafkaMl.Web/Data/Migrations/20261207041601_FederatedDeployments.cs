using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class FederatedDeployments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Federated",
                table: "Deployments",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Federated",
                table: "Deployments");
        }
    }
}
