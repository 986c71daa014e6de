"""The Discord side of qabot: a discord.py bot in front of the retrieval core."""
