// The namespaces nearly every file of the portal uses: the domain, the database, the use-case services and EF Core.
global using KafkaMl.Core.Domain;
global using KafkaMl.Web.Data;
global using KafkaMl.Web.Services;
global using Microsoft.EntityFrameworkCore;
