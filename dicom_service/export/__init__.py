"""Export: copy instances to an Azure Blob Storage container, as a long-running operation."""
