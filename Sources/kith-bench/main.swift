print("not available yet")
