-- Undoes V16: the endpoints and their delivery log go with it.
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
