"""After-sales service: tickets, their events, the working-day calendar and the services that move them."""
