"""Door orders: the order, its door lines, and the services that change them."""
